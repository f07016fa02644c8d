"""Browser journeys through identity: citizens' registration and sign-in, lockout, agents acting for a
company, department-scoped staff, staff management and the audit trail, against the demo city (贵阳市).

Each journey drives headless Chromium through the real pages and saves screenshots to
e2e/screenshots/ (see conftest.py for the server and browser fixtures). The server is shared by the
whole session, so every journey signs in fresh and uses accounts no other journey changes.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from urllib.parse import parse_qs, urlparse

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select

from conftest import DEMO_PASSWORD
from journeys import body_text, click_and_wait_for_new_page, fill, response_status, wait

MARKET_DEPARTMENT = "贵阳市市场监督管理局"
NANMING_DEPARTMENT_CODE = "11520102MB4798827C"
OTHER_DISTRICTS = ("南明区", "云岩区", "花溪区")

# Demo applicants (see DemoCity.applicantSeeds).
DEMO_REPRESENTATIVE = "520102199003071236"  # 张明, legal representative of 贵阳云数科技有限公司
DEMO_AGENT = "520103198506120046"  # 李华, its agent (申请办理事项, 查看办件进度)
DEMO_COMPANY = "贵阳云数科技有限公司"
LOCKOUT_KNOWN = "92520102MA6J000029"  # 南明区王记小吃店: used by the lockout journey only

JOURNEY_PASSWORD = "Journey-Pass-2026"
GENERIC_FAILURE = "账号或密码不正确"


# MARK: helpers


def check_digit(body17: str) -> str:
    """GB 11643: the 18th character of a 公民身份号码 from the first 17 digits."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(digit) * weight for digit, weight in zip(body17, weights)) % 11]


def resident_id(body17: str) -> str:
    assert re.fullmatch(r"\d{17}", body17), body17
    return body17 + check_digit(body17)


def resident_id_ending_in_x(prefix14: str) -> str:
    """The first valid number with these 14 leading digits whose check character is X."""
    for sequence in range(100, 1000):
        body = f"{prefix14}{sequence:03d}"
        if check_digit(body) == "X":
            return body + "X"
    raise AssertionError(f"no number ending in X under {prefix14}")


def submit(driver, form_selector: str = "main form.stacked"):
    click_and_wait_for_new_page(driver, driver.find_element(By.CSS_SELECTOR, f"{form_selector} button[type=submit]"))


def alert_text(driver) -> str:
    alerts = driver.find_elements(By.CSS_SELECTOR, "main [role=alert]")
    assert alerts, f"no role=alert message on {driver.current_url}; page says {body_text(driver)[:300]!r}"
    return alerts[0].text.strip()


def sign_in_staff(driver, server: str, account: str, password: str = DEMO_PASSWORD, start: str = "/admin"):
    """Signs in through the staff login page, starting from a staff page (which redirects there)."""
    driver.delete_all_cookies()
    driver.get(server + start)
    wait(driver).until(EC.url_contains("/admin/login"))
    fill(driver, "account", account)
    fill(driver, "password", password)
    submit(driver)


def sign_in_applicant(driver, server: str, account: str, password: str = DEMO_PASSWORD):
    """Signs in a citizen or a company at /signin (fresh cookies)."""
    driver.delete_all_cookies()
    driver.get(server + "/signin")
    assert driver.find_element(By.TAG_NAME, "h1").text == "登录"
    fill(driver, "account", account)
    fill(driver, "password", password)
    submit(driver)


def assert_path(driver, path: str, what: str):
    actual = urlparse(driver.current_url).path
    assert actual == path, (
        f"{what}: expected to be on {path}, but the browser is on {driver.current_url}; page says {body_text(driver)[:300]!r}")


def dashboard_departments(driver) -> list[str]:
    """The 实施机构 column of the staff dashboard."""
    return [row.find_elements(By.TAG_NAME, "td")[0].text.strip()
            for row in driver.find_elements(By.CSS_SELECTOR, "table.admin-table tbody tr")]


def table_rows(driver, table_id: str) -> list[str]:
    return [row.text for row in driver.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")]


def me_companies(driver) -> dict[str, object]:
    """Rows of 我可代办的企业 on /me, by company name."""
    section = driver.find_element(By.XPATH, "//section[h2[@id='companies-heading']]")
    rows = {}
    for row in section.find_elements(By.CSS_SELECTOR, "tbody tr"):
        name = row.find_element(By.CSS_SELECTOR, "th").text.split("\n")[0].strip()
        rows[name] = row
    return rows


def assert_fits_width(driver, what: str):
    scroll_width, inner_width = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"{what} scrolls sideways: scrollWidth {scroll_width} > innerWidth {inner_width}"


class Device:
    """A second device (a plain HTTP client with its own cookies), to watch sessions end elsewhere."""

    def __init__(self, server: str):
        self.server = server
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str, str]:
        try:
            with self.opener.open(self.server + path, timeout=15) as response:
                return response.status, urlparse(response.geturl()).path, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, urlparse(error.geturl()).path, error.read().decode()

    def sign_in(self, page: str, account: str, password: str) -> str:
        """Signs in through a sign-in page (/signin or /admin/login); returns the path it lands on."""
        _, _, html = self.get(page)
        csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
        data = urllib.parse.urlencode({"csrf": csrf, "account": account, "password": password}).encode()
        with self.opener.open(self.server + page, data, timeout=15) as response:
            return urlparse(response.geturl()).path


# MARK: 1. Register → sign in → profile → sign out

def test_01_register_sign_in_profile_sign_out(server, driver, screenshot):
    number = resident_id_ending_in_x("52011219950505")
    name = "路演测试"
    driver.get(server + "/register")
    assert driver.find_element(By.TAG_NAME, "h1").text == "个人注册"
    assert driver.find_element(By.CSS_SELECTOR, "label[for=idNumber]").text == "公民身份号码"
    fill(driver, "name", name)
    fill(driver, "idNumber", number)
    fill(driver, "phone", "13912345678")
    fill(driver, "password", JOURNEY_PASSWORD)
    fill(driver, "passwordAgain", JOURNEY_PASSWORD)
    screenshot(driver, "20-register")
    submit(driver)

    assert_path(driver, "/me", "after registering")
    assert "注册成功" in driver.find_element(By.CSS_SELECTOR, "main .notice[role=status]").text
    assert driver.find_element(By.ID, "me-name").text == name
    shown = driver.find_element(By.ID, "me-identifier").text.strip()
    assert shown.startswith(number[:4]) and shown.endswith(number[-4:]) and "*" in shown, (
        f"the ID number should be masked, /me shows {shown!r}")
    source = driver.page_source
    assert number not in source and number[:-1] not in source, "the full ID number must not reach the page"
    assert "1391234" not in source, "the phone number is masked too"
    who = driver.find_element(By.CSS_SELECTOR, ".header-tools .who")
    assert who.text == name and urlparse(who.get_attribute("href")).path == "/me"
    screenshot(driver, "21-me-registered")

    # Sign out with the header's 退出 button.
    click_and_wait_for_new_page(driver, driver.find_element(By.XPATH, "//header//form[@action='/signout']//button[normalize-space()='退出']"))
    assert not driver.find_elements(By.CSS_SELECTOR, ".header-tools .who"), "still shown as signed in after 退出"
    assert driver.find_element(By.CSS_SELECTOR, ".header-tools a[href='/signin']").text == "登录"
    driver.get(server + "/me")
    assert_path(driver, "/signin", "/me after signing out")
    assert parse_qs(urlparse(driver.current_url).query).get("next") == ["/me"]

    # Sign in again, typing the check character in lower case, with spaces around.
    fill(driver, "account", f"  {number[:-1]}{number[-1].lower()}  ")
    fill(driver, "password", JOURNEY_PASSWORD)
    submit(driver)
    assert_path(driver, "/me", "after signing in with a lower-case x")
    assert not driver.find_elements(By.CSS_SELECTOR, "main .notice[role=status]"), "注册成功 is for the first visit only"
    assert driver.find_element(By.ID, "me-identifier").text.strip() == shown
    history = table_rows(driver, "sign-in-history")
    assert history and all("登录成功" in row for row in history), history
    assert "web" in history[0] or "网页" in history[0], history[0]
    screenshot(driver, "22-me-history")

    # A second device signed in to the same account loses its session too.
    other = Device(server)
    assert other.sign_in("/signin", number, JOURNEY_PASSWORD) == "/me"
    assert other.get("/me")[1] == "/me"

    click_and_wait_for_new_page(driver, driver.find_element(By.XPATH, "//form[@action='/me/sign-out-everywhere']//button[normalize-space()='退出所有设备上的登录']"))
    assert_path(driver, "/signin", "after 退出所有设备上的登录")
    assert not driver.find_elements(By.CSS_SELECTOR, ".header-tools .who")
    driver.get(server + "/me")
    assert_path(driver, "/signin", "/me after 退出所有设备上的登录")
    assert other.get("/me")[1] == "/signin", "the other device is still signed in after 退出所有设备上的登录"


# MARK: 2. A wrong registration

def _submit_wrong_registration(driver, server, number: str, password: str, again: str):
    driver.get(server + "/register")
    fill(driver, "name", "错误示范")
    fill(driver, "idNumber", number)
    fill(driver, "phone", "13987654321")
    fill(driver, "password", password)
    fill(driver, "passwordAgain", again)
    submit(driver)


def _assert_form_kept_without_passwords(driver, *passwords: str):
    assert driver.find_element(By.ID, "name").get_attribute("value") == "错误示范", "the typed name is kept"
    assert driver.find_element(By.ID, "phone").get_attribute("value") == "13987654321"
    assert driver.find_element(By.ID, "password").get_attribute("value") == ""
    assert driver.find_element(By.ID, "passwordAgain").get_attribute("value") == ""
    source = driver.page_source
    for password in passwords:
        assert password not in source, f"the page echoes a typed password ({password!r})"


def test_02_wrong_registration_shows_every_problem_at_once(server, driver, screenshot):
    bad_number = resident_id("52011219950505123")[:-1] + "9"  # wrong check digit (the right one is 8)
    _submit_wrong_registration(driver, server, bad_number, "Ab1!", "Ab1?xyz")
    screenshot(driver, "23-register-errors")
    assert_path(driver, "/register", "after a wrong registration")
    assert response_status(driver) == 400
    summary = driver.find_element(By.CSS_SELECTOR, "main [role=alert]").text
    _assert_form_kept_without_passwords(driver, "Ab1!", "Ab1?xyz")
    assert driver.find_element(By.ID, "passwordAgain").get_attribute("aria-invalid") == "true"
    assert "不一致" in summary, summary
    for field in ("idNumber", "password"):
        errors = driver.find_elements(By.ID, f"{field}-error")
        assert errors and errors[0].text.strip(), (
            f"no field error for {field}; the summary says only {summary!r}")
        assert driver.find_element(By.ID, field).get_attribute("aria-invalid") == "true"
    assert "校验" in driver.find_element(By.ID, "idNumber-error").text
    assert "10" in driver.find_element(By.ID, "password-error").text
    assert "校验" in summary and "密码" in summary, summary


def test_02b_weak_registration_lists_every_field_problem(server, driver, screenshot):
    """The same page with matching (but weak) passwords: every field problem at once, nothing echoed."""
    bad_number = resident_id("52011219950505123")[:-1] + "9"
    _submit_wrong_registration(driver, server, bad_number, "Ab1!", "Ab1!")
    screenshot(driver, "23b-register-field-errors")
    assert_path(driver, "/register", "after a weak registration")
    assert response_status(driver) == 400
    summary = driver.find_element(By.CSS_SELECTOR, "main #form-error[role=alert]").text
    assert "校验位" in summary and "密码至少需要10个字符" in summary, summary
    assert "校验位" in driver.find_element(By.ID, "idNumber-error").text
    assert driver.find_element(By.ID, "idNumber").get_attribute("aria-invalid") == "true"
    assert "idNumber-error" in driver.find_element(By.ID, "idNumber").get_attribute("aria-describedby")
    assert "10" in driver.find_element(By.ID, "password-error").text
    assert driver.find_element(By.ID, "password").get_attribute("aria-invalid") == "true"
    assert driver.find_element(By.ID, "idNumber").get_attribute("value") == bad_number
    _assert_form_kept_without_passwords(driver, "Ab1!")


# MARK: 3. Lockout, the same for known and unknown accounts

def test_03_lockout_does_not_reveal_accounts(server, driver, screenshot):
    unknown = resident_id("52011219950505127")

    def attempts(account: str) -> list[tuple[int, str]]:
        seen = []
        driver.delete_all_cookies()
        driver.get(server + "/signin")
        for attempt in range(1, 6):
            fill(driver, "account", account)
            fill(driver, "password", f"Wrong-Pass-{attempt}")
            submit(driver)
            assert_path(driver, "/signin", f"after wrong password #{attempt}")
            seen.append((response_status(driver), alert_text(driver)))
            assert driver.find_element(By.ID, "account").get_attribute("value") == account
            assert driver.find_element(By.ID, "password").get_attribute("value") == ""
        # Locked: even the right password is refused (the unknown one has none; any will do).
        fill(driver, "account", account)
        fill(driver, "password", DEMO_PASSWORD)
        submit(driver)
        assert_path(driver, "/signin", "the right password on a locked account")
        seen.append((response_status(driver), alert_text(driver)))
        return seen

    known = attempts(LOCKOUT_KNOWN)
    screenshot(driver, "24-locked")
    for attempt, (status, text) in enumerate(known[:4], start=1):
        assert status == 401 and GENERIC_FAILURE in text, f"wrong password #{attempt}: {status} {text!r}"
    for attempt, (status, text) in enumerate(known[4:], start=5):
        assert status == 429 and "锁定" in text, f"attempt #{attempt} should be locked: {status} {text!r}"

    assert attempts(unknown) == known, "an unknown number must get exactly the same answers as a real account"


# MARK: 4. Department-scoped clerks

def test_04_clerks_see_only_their_department(server, driver, screenshot):
    # A 南明区 item and a market item, from the public pages.
    driver.get(server + f"/items?department={NANMING_DEPARTMENT_CODE}")
    nanming = driver.find_elements(By.CSS_SELECTOR, "section.results li.result")
    assert nanming, "the public search lists 南明区 items"
    assert "南明区" in nanming[0].find_element(By.CSS_SELECTOR, ".meta").text
    nanming_code = nanming[0].find_element(By.CSS_SELECTOR, "h2 a").get_attribute("href").rsplit("/", 1)[-1]

    sign_in_staff(driver, server, "market.clerk")
    assert_path(driver, "/admin", "after market.clerk signs in")
    departments = dashboard_departments(driver)
    assert departments, "market.clerk's dashboard lists the market department's items"
    assert set(departments) == {MARKET_DEPARTMENT}, sorted(set(departments))
    assert not [d for d in departments if any(district in d for district in OTHER_DISTRICTS)]
    market_code = driver.find_element(By.CSS_SELECTOR, "table.admin-table tbody tr th code").text.strip()
    screenshot(driver, "25-market-clerk")

    driver.get(server + f"/admin/items/{nanming_code}")
    assert response_status(driver) == 403, f"another department's item answered {response_status(driver)}"
    assert driver.find_element(By.TAG_NAME, "h1").text == "没有权限"
    assert not driver.find_elements(By.ID, "promisedLimit")
    screenshot(driver, "26-forbidden")
    driver.get(server + f"/admin/items/{market_code}")
    assert response_status(driver) == 200 and driver.find_element(By.TAG_NAME, "h1").text != "没有权限"

    sign_in_staff(driver, server, "nanming.clerk")
    assert_path(driver, "/admin", "after nanming.clerk signs in")
    departments = dashboard_departments(driver)
    assert departments and all("南明区" in d for d in departments), sorted(set(departments))
    assert not [d for d in departments if "市场监督" in d]
    driver.get(server + f"/admin/items/{market_code}")
    assert response_status(driver) == 403
    assert driver.find_element(By.TAG_NAME, "h1").text == "没有权限"


# MARK: 5. Staff management

def test_05_system_admin_creates_and_disables_a_clerk(server, driver, screenshot):
    account, password = "e2e.clerk", "E2e-Clerk-Pass-2026"
    sign_in_staff(driver, server, "system.admin")
    click_and_wait_for_new_page(driver, driver.find_element(By.LINK_TEXT, "人员与授权"))
    assert_path(driver, "/admin/staff", "人员与授权")
    listed = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#staff-table tbody th a")]
    assert {"system.admin", "market.clerk", "supervisor"} <= set(listed), listed

    fill(driver, "account", account)
    fill(driver, "displayName", "端到端测试窗口")
    fill(driver, "password", password)
    Select(driver.find_element(By.ID, "role")).select_by_visible_text("综合窗口人员")
    Select(driver.find_element(By.ID, "department")).select_by_visible_text(MARKET_DEPARTMENT)
    screenshot(driver, "27-staff-new")
    click_and_wait_for_new_page(driver, driver.find_element(By.XPATH, "//form[@action='/admin/staff']//button[normalize-space()='创建']"))
    assert_path(driver, f"/admin/staff/{account}", "after creating the account")
    assert driver.find_element(By.TAG_NAME, "h1").text == f"账号 {account}"
    grants = [row.text for row in driver.find_elements(By.CSS_SELECTOR, "main table.admin-table tbody tr")]
    assert len(grants) == 1 and "综合窗口人员" in grants[0] and MARKET_DEPARTMENT in grants[0], grants
    facts = driver.find_element(By.CSS_SELECTOR, "main dl.facts").text
    assert "正常" in facts, facts

    # The new clerk signs in elsewhere, and sees the market department's items.
    clerk_device = Device(server)
    assert clerk_device.sign_in("/admin/login", account, password) == "/admin"
    status, path, html = clerk_device.get("/admin")
    assert status == 200 and path == "/admin" and MARKET_DEPARTMENT in html

    click_and_wait_for_new_page(driver, driver.find_element(By.XPATH, "//button[starts-with(normalize-space(), '停用账号')]"))
    assert_path(driver, f"/admin/staff/{account}", "after 停用账号")
    assert "已停用" in driver.find_element(By.CSS_SELECTOR, "main dl.facts").text
    assert driver.find_elements(By.XPATH, "//button[normalize-space()='启用账号']")
    screenshot(driver, "28-staff-disabled")
    assert clerk_device.get("/admin")[1] == "/admin/login", "停用账号 must end the account's sessions at once"
    driver.get(server + "/admin/staff")
    row = driver.find_element(By.XPATH, f"//table[@id='staff-table']//tr[th/a[normalize-space()='{account}']]")
    assert "已停用" in row.text

    # The disabled account gets the same message as a wrong password.
    sign_in_staff(driver, server, account, password)
    assert_path(driver, "/admin/login", "signing in to a disabled account")
    assert response_status(driver) == 401
    assert GENERIC_FAILURE in alert_text(driver)


def test_05b_department_admin_manages_only_its_department(server, driver, screenshot):
    sign_in_staff(driver, server, "market.admin")
    driver.get(server + "/admin/staff")
    assert_path(driver, "/admin/staff", "market.admin's staff page")
    rows = driver.find_elements(By.CSS_SELECTOR, "#staff-table tbody tr")
    accounts = [row.find_element(By.CSS_SELECTOR, "th a").text for row in rows]
    assert "market.clerk" in accounts, accounts
    assert "system.admin" not in accounts and "nanming.clerk" not in accounts and "catalog.admin" not in accounts, accounts
    for row in rows:
        scopes = [tag.text for tag in row.find_elements(By.CSS_SELECTOR, "td .tag")]
        assert scopes and all(MARKET_DEPARTMENT in scope for scope in scopes), (row.text, scopes)
    roles = [option.text for option in Select(driver.find_element(By.ID, "role")).options]
    assert roles and "系统管理员" not in roles and "部门管理员" not in roles, roles
    departments = [option.text for option in Select(driver.find_element(By.ID, "department")).options]
    assert departments == [MARKET_DEPARTMENT], departments
    screenshot(driver, "29-market-admin-staff")


# MARK: 6. Audit

def test_06b_audit_chain_and_search(server, driver, screenshot):
    sign_in_staff(driver, server, "supervisor", start="/admin/audit")
    assert_path(driver, "/admin/audit", "the supervisor's audit page")
    assert driver.find_element(By.TAG_NAME, "h1").text == "留痕审计"
    # The chain check reads the whole trail, so it runs when asked.
    click_and_wait_for_new_page(driver, driver.find_element(By.ID, "verify-chain"))
    chain = driver.find_element(By.ID, "chain-status")
    assert "留痕链完整" in chain.text, chain.text
    assert "ok-panel" in chain.get_attribute("class").split()

    fill(driver, "action", "auth.")
    click_and_wait_for_new_page(driver, driver.find_element(By.XPATH, "//form[@action='/admin/audit']//button[normalize-space()='检索']"))
    assert parse_qs(urlparse(driver.current_url).query).get("action") == ["auth."]
    assert driver.find_element(By.ID, "action").get_attribute("value") == "auth."
    actions = [code.text for code in driver.find_elements(By.CSS_SELECTOR, "#audit-table tbody tr td code:not(.long-code)")]
    assert actions, "the search lists events"
    assert "auth.signIn" in actions, actions
    assert all(action.startswith("auth.") for action in actions), sorted(set(actions))
    rows = table_rows(driver, "audit-table")
    assert any("supervisor" in row and "auth.signIn" in row for row in rows), "the supervisor's own sign-in is recorded"
    total = int(re.search(r"共\s*(\d+)\s*条", body_text(driver)).group(1))
    assert total >= len(actions)
    assert DEMO_REPRESENTATIVE not in driver.page_source
    screenshot(driver, "30-audit")


# MARK: 7. Agents

def test_07_agent_acts_for_company(server, driver, screenshot):
    sign_in_applicant(driver, server, DEMO_AGENT)
    assert_path(driver, "/me", "after 李华 signs in")
    assert driver.find_element(By.ID, "me-name").text == "李华"
    companies = me_companies(driver)
    assert DEMO_COMPANY in companies, list(companies)
    row = companies[DEMO_COMPANY]
    assert "经办人" in row.text and "申请办理事项" in row.text and "查看办件进度" in row.text, row.text
    assert not driver.find_elements(By.LINK_TEXT, "管理经办人授权"), "an agent may not manage the company's agents"
    click_and_wait_for_new_page(driver, row.find_element(By.XPATH, ".//button[normalize-space()='代其办理']"))
    assert_path(driver, "/me", "after 代其办理")
    notice = [p.text for p in driver.find_elements(By.CSS_SELECTOR, "main .notice[role=status]")]
    assert f"您正在代 {DEMO_COMPANY} 办理业务" in " ".join(notice), notice
    assert driver.find_elements(By.XPATH, "//button[normalize-space()='回到以个人身份办理']")
    screenshot(driver, "31-agent-acting")

    # The legal representative, acting for the company, manages its agents.
    sign_in_applicant(driver, server, DEMO_REPRESENTATIVE)
    assert_path(driver, "/me", "after 张明 signs in")
    row = me_companies(driver)[DEMO_COMPANY]
    assert "法定代表人" in row.text
    click_and_wait_for_new_page(driver, row.find_element(By.XPATH, ".//button[normalize-space()='代其办理']"))
    click_and_wait_for_new_page(driver, driver.find_element(By.LINK_TEXT, "管理经办人授权"))
    assert_path(driver, "/me/agents", "管理经办人授权")
    assert DEMO_COMPANY in driver.find_element(By.CSS_SELECTOR, "main .lead").text
    agent = driver.find_element(By.XPATH, "//section[h2[@id='agents-heading']]//tbody/tr[th[normalize-space()='李华']]")
    shown = agent.find_elements(By.TAG_NAME, "td")[0].text.strip()
    assert shown.startswith(DEMO_AGENT[:4]) and shown.endswith(DEMO_AGENT[-4:]) and "*" in shown, shown
    assert "申请办理事项" in agent.text and "查看办件进度" in agent.text
    assert DEMO_AGENT not in driver.page_source, "the agent's full ID number must not reach the page"
    screenshot(driver, "32-agents")


# MARK: 8. Phone width and keyboard

def test_08_phone_and_keyboard(server, driver, screenshot):
    driver.set_window_size(375, 800)
    for path, name in (("/signin", "33-phone-signin"), ("/register", "34-phone-register")):
        driver.get(server + path)
        assert driver.execute_script("return window.innerWidth") <= 375
        assert_fits_width(driver, path)
        screenshot(driver, name)

    driver.set_window_size(1280, 900)
    driver.get(server + "/signin")
    assert driver.execute_script("return document.activeElement === document.body")
    label = driver.find_element(By.CSS_SELECTOR, "label[for=account]").text
    assert label == "公民身份号码或统一社会信用代码"
    for _ in range(25):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        if driver.switch_to.active_element.get_attribute("id") == "account":
            break
    else:
        raise AssertionError("Tab from the top never reached the 公民身份号码或统一社会信用代码 field")
    assert driver.switch_to.active_element.get_attribute("name") == "account"
    ActionChains(driver).send_keys(Keys.TAB).perform()
    assert driver.switch_to.active_element.get_attribute("id") == "password", "the password comes next"
