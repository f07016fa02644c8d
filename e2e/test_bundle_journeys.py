"""Browser journeys through 一件事一次办 (bundles): one merged form, one set of materials, one
acceptance at the lead window, and every department deciding its own task in parallel, against
the demo city (贵阳市).

1. 新生儿出生一件事: 张明 starts from the home page's card, answers the situation question, applies
   with the one merged form and uploads every required material once. 卫健 (the lead department)
   accepts once: the three 即办 members are decided on the spot, in their order, and the social
   security card runs at 人社, which reviews and grants it, completing the bundle. 公安 cannot
   open 人社's task.
2. 开办餐饮店一件事 with the tobacco member: 张明 applies once, 市场监管 accepts once, 烟草 asks a
   correction; the one notice reaches the bundle's page, he answers it, and 消防, 烟草 and
   市场监管 each grant their task; the results arrive together.
3. (xfail, strict: known server defects) every link and control the bundle's pages offer works.

The members, the merged form and the materials are read at run time from
`GET /api/v1/bundles/{code}`. Each journey signs in fresh; screenshots go to e2e/screenshots/.
"""

from __future__ import annotations

import re
import urllib.parse
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from journeys import api, assert_page_ok, body_text, click_and_wait_for_new_page, response_status, write_pdf
from test_case_journeys import act, assert_state, case_state, sign_in_applicant, sign_in_staff, wait_for_inbox_message
from test_licence_journeys import a11y_problems, assert_path, phone_screenshot

# Demo accounts (DemoCity.applicantSeeds and DemoCity.staffSeeds).
CITIZEN = "520102199003071236"  # 张明
CITIZEN_NAME = "张明"
HEALTH = "health.staff"  # 贵阳市卫生健康委员会: lead of 新生儿出生
POLICE = "police.staff"
HRSS = "hrss.staff"  # 贵阳市人力资源和社会保障局: 社会保障卡申领
MARKET_CLERK = "market.clerk"  # lead window of 开办餐饮店
MARKET_APPROVER = "market.approver"
FIRE = "fire.staff"
TOBACCO = "tobacco.staff"

NEWBORN = "newborn"
RESTAURANT = "openRestaurant"
BIRTH_CERTIFICATE = "《出生医学证明》首次签发"
HOUSEHOLD = "户口登记(出生登记)"
INSURANCE = "城乡居民参保登记"
SOCIAL_CARD = "社会保障卡申领"
MATERNITY = "生育津贴支付"
FOOD_LICENCE = "食品经营许可(新办)"
FIRE_CHECK = "公众聚集场所投入使用、营业前消防安全检查"
TOBACCO_LICENCE = "烟草专卖零售许可证核发(新办)"
SEWAGE = "城镇污水排入排水管网许可"

UUID_PATTERN = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
BUNDLE_NUMBER = re.compile(r"YJ\d{6}\d{8}\d{4}")
SUBMITTED = "已申报，待受理"
RUNNING = "各部门并联办理中"


# MARK: helpers: the public API


def bundle_guide(server: str, code: str, answers: dict[str, str]) -> dict:
    """The merged guide and form for a situation, as the API gives them."""
    query = urllib.parse.urlencode({f"answers[{key}]": value for key, value in answers.items()})
    return api(server, f"/api/v1/bundles/{code}?{query}")


def shared_fields(guide: dict) -> list[str]:
    """The merged form's keys that more than one member asks (each must be asked once)."""
    return [line["key"] for line in guide["mapping"] if len({source["member"] for source in line["sources"]}) > 1]


# MARK: helpers: pages


def member_rows(driver) -> dict[str, list[str]]:
    """The guide's #bundle-members table: member name → [部门, 类型, 时限, 顺序, 本次办理]."""
    rows = {}
    for row in driver.find_elements(By.CSS_SELECTOR, "#bundle-members tbody tr"):
        rows[row.find_element(By.TAG_NAME, "th").text.strip()] = [cell.text.strip() for cell in row.find_elements(By.TAG_NAME, "td")]
    return rows


def answer_situation(driver, question: str, value: str):
    """Picks an answer with its radio button and presses 按我的情形查看."""
    radios = driver.find_elements(By.CSS_SELECTOR, f"#situation-form input[type=radio][name='answers[{question}]'][value='{value}']")
    assert radios, f"no radio button {value!r} for the question {question!r} on {driver.current_url}"
    radios[0].click()
    assert radios[0].is_selected()
    click_and_wait_for_new_page(driver, driver.find_element(By.XPATH, "//form[@id='situation-form']//button[normalize-space()='按我的情形查看']"))
    assert_page_ok(driver, "the guide for the situation")
    checked = driver.find_elements(By.CSS_SELECTOR, f"#situation-form input[type=radio][name='answers[{question}]']:checked")
    assert checked and checked[0].get_attribute("value") == value, "the answer is kept on the guide it leads to"


def open_apply_page(driver, code: str, guide: dict):
    link = driver.find_element(By.ID, "bundle-apply")
    assert link.text.strip() == "在线申请(一张表)", link.text
    click_and_wait_for_new_page(driver, link)
    assert_path(driver, f"/bundles/{code}/apply", "after 在线申请(一张表)")
    assert urlparse(driver.current_url).query, f"the apply page should carry the situation: {driver.current_url}"
    assert_page_ok(driver, "the merged form")
    assert driver.find_element(By.TAG_NAME, "h1").text == f"申请：{guide['name']}"
    chosen = [member["name"] for member in guide["members"] if member["chosen"]]
    meta = driver.find_element(By.CSS_SELECTOR, "main p.meta").text
    for member in guide["members"]:
        quoted = f"“{member['name']}”"
        assert (quoted in meta) == member["chosen"], f"一张表同时申请 should list exactly the chosen members {chosen}: {meta!r}"


def assert_each_field_once(driver, guide: dict):
    """Every field of the merged form has one input, and a field several members ask is asked once."""
    for field in guide["form"]["fields"]:
        name = "f_" + field["key"]
        count = len(driver.find_elements(By.CSS_SELECTOR, f"#bundle-apply-form [name='{name}']"))
        assert count == 1, f"the merged form should ask “{field['label']}” ({name}) once, not {count} times"
    labels = [label.text.replace("*", "").strip() for label in driver.find_elements(By.CSS_SELECTOR, "#bundle-apply-form .field > label")]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    assert not repeated, f"labels asked more than once on the merged form: {repeated}"


def fill_merged_form(driver, guide: dict, values: dict[str, str]) -> dict[str, str]:
    """Fills every empty required field of the merged form: `values` first, else a plain answer by
    type. Masked numbers pre-filled from the profile, and the pre-filled name, are left as they
    are; a conditional field is filled only when `values` names it. Returns what was typed."""
    typed = {}
    for field in guide["form"]["fields"]:
        key, kind = field["key"], field["type"]
        element = driver.find_element(By.ID, "f_" + key)
        if driver.find_elements(By.ID, f"f_{key}-prefilled"):
            continue  # shown masked; the server takes it from the profile
        value = values.get(key)
        if value is None:
            if field.get("visibleWhen") or not field.get("required"):
                continue
            if kind == "select":
                value = field["options"][0]
            elif element.get_attribute("value"):
                continue  # pre-filled (the applicant's name)
            else:
                value = {"date": (date.today() - timedelta(days=5)).isoformat(), "number": "1", "phone": "13800000009",
                         "email": "ceshi@example.cn"}.get(kind, "测试")
        if kind == "select":
            Select(element).select_by_visible_text(value)
        elif kind == "date":
            # Typing into a date input depends on the browser's locale: set the value directly.
            driver.execute_script("arguments[0].value = arguments[1]", element, value)
        else:
            element.clear()
            element.send_keys(value)
        typed[key] = value
    return typed


def submit_application(driver) -> str:
    """提交申请; returns the new application's id from /me/bundles/{id}."""
    button = driver.find_element(By.ID, "bundle-submit")
    assert button.text.strip() == "提交申请"
    click_and_wait_for_new_page(driver, button)
    errors = driver.find_elements(By.ID, "form-error")
    assert not errors, f"the merged form was refused: {errors[0].text!r}"
    match = re.fullmatch(r"/me/bundles/(" + UUID_PATTERN + ")", urlparse(driver.current_url).path)
    assert match, f"提交申请 should open the application, but the browser is on {driver.current_url}: {body_text(driver)[:400]!r}"
    assert_page_ok(driver, "the new application")
    return match.group(1)


def bundle_state(driver) -> str:
    return driver.find_element(By.ID, "bundle-state").text.strip()


def bundle_error(driver) -> str:
    errors = driver.find_elements(By.ID, "bundle-error")
    return errors[0].text if errors else ""


def assert_bundle_state(driver, expected: str, what: str):
    assert_page_ok(driver, what)
    state = bundle_state(driver)
    assert state == expected, (
        f"{what}: expected the application {expected!r} but it shows {state!r}; error: {bundle_error(driver)!r}; "
        f"page says {body_text(driver)[:400]!r}")


def task_rows(driver) -> dict[str, dict]:
    """The #bundle-tasks table: task name → its department, status, case link, case number and deadline."""
    tasks = {}
    for row in driver.find_elements(By.CSS_SELECTOR, "#bundle-tasks tbody tr"):
        head = row.find_element(By.TAG_NAME, "th")
        links = head.find_elements(By.TAG_NAME, "a")
        cells = row.find_elements(By.TAG_NAME, "td")
        tasks[head.text.strip()] = {
            "department": cells[0].text.strip(),
            "status": cells[1].find_element(By.CSS_SELECTOR, "span.state").text.strip(),
            "cell": cells[1].text.strip(),
            "href": links[0].get_attribute("href") if links else None,
            "number": cells[2].text.strip(),
            "deadline": cells[3].text.strip(),
        }
    return tasks


def case_id_of(task: dict, name: str) -> str:
    assert task["href"], f"the task “{name}” has no link to its case: {task}"
    match = re.fullmatch(r"/(?:admin|me)/cases/(" + UUID_PATTERN + ")", urlparse(task["href"]).path)
    assert match, f"the task “{name}” links to {task['href']}"
    return match.group(1)


def material_table(driver) -> list[dict]:
    """The #bundle-material-list rows: position, name, requirement, whether given, the file input."""
    rows = []
    for row in driver.find_elements(By.CSS_SELECTOR, "#bundle-material-list tbody tr"):
        cells = row.find_elements(By.TAG_NAME, "td")
        rows.append({
            "position": int(cells[0].text.strip()),
            "name": row.find_element(By.TAG_NAME, "th").text.split("\n")[0].strip(),
            "requirement": cells[1].text.strip(),
            "given": cells[2].text.strip(),
        })
    return rows


def upload_bundle_material(driver, position: int, pdf: Path, name: str):
    """Uploads one file for the merged material at `position` with its row's own form."""
    inputs = driver.find_elements(By.ID, f"file-{position}")
    assert inputs, f"the material “{name}” (第{position}项) has no file input #file-{position} on {driver.current_url}"
    inputs[0].send_keys(str(pdf))
    form = inputs[0].find_element(By.XPATH, "./ancestor::form[1]")
    click_and_wait_for_new_page(driver, form.find_element(By.XPATH, ".//button[normalize-space()='上传']"))
    assert_page_ok(driver, f"after uploading “{name}”")
    assert not bundle_error(driver), f"uploading “{name}” was refused: {bundle_error(driver)!r}"
    notice = driver.find_element(By.ID, "bundle-notice").text
    assert f"已收到材料“{name}”" in notice, notice
    row = next(row for row in material_table(driver) if row["position"] == position)
    assert row["given"] == "已提交", f"the row of “{name}” should say 已提交: {row}"


def upload_required_materials(driver, directory: Path, prefix: str, guide: dict) -> list[str]:
    """Uploads one PDF for every material marked 必交, once each; returns their names."""
    rows = material_table(driver)
    assert [row["name"] for row in rows] == [material["name"] for material in guide["materials"]], rows
    uploaded = []
    for row in rows:
        if row["requirement"].startswith("免提交"):
            assert not driver.find_elements(By.CSS_SELECTOR, f"#material-{row['position']} input[type=file]"), (
                f"a material the applicant need not give offers an upload: {row}")
        if row["requirement"] != "必交":
            continue
        assert row["given"] == "未提交", row
        upload_bundle_material(driver, row["position"], write_pdf(directory, f"{prefix}-{row['position']}"), row["name"])
        uploaded.append(row["name"])
    missing = [row for row in material_table(driver) if row["requirement"] == "必交" and row["given"] != "已提交"]
    assert not missing, f"required materials still missing: {missing}"
    return uploaded


def open_desk_application(driver, server: str, application_id: str):
    """The lead window's 一件事受理台: finds the application in the list (paging on) and opens it."""
    driver.get(server + "/admin/bundles")
    assert_page_ok(driver, "一件事受理台")
    assert driver.find_element(By.TAG_NAME, "h1").text == "一件事受理台"
    href = f"/admin/bundles/{application_id}"
    for _ in range(20):
        links = driver.find_elements(By.CSS_SELECTOR, f"#bundle-applications a[href='{href}']")
        if links:
            click_and_wait_for_new_page(driver, links[0])
            assert_path(driver, href, "opening the application from the desk")
            assert_page_ok(driver, "the application at the desk")
            return
        following = driver.find_elements(By.XPATH, "//nav[@class='pager']/a[normalize-space()='下一页']")
        assert following, f"the application {application_id} is not on /admin/bundles: {body_text(driver)[:500]!r}"
        click_and_wait_for_new_page(driver, following[0])
    raise AssertionError(f"the application {application_id} was not found within 20 pages of /admin/bundles")


def accept_once(driver) -> str:
    """一次受理全部事项; returns the 受理编号."""
    button = driver.find_element(By.ID, "bundle-accept")
    assert button.text.strip() == "一次受理全部事项"
    click_and_wait_for_new_page(driver, button)
    assert_bundle_state(driver, RUNNING, "after 一次受理全部事项")
    number = driver.find_element(By.ID, "bundle-number").text.strip()
    assert BUNDLE_NUMBER.fullmatch(number), f"the 受理编号 should be YJ + region + date + serial, not {number!r}"
    assert "一次受理" in driver.find_element(By.ID, "bundle-notice").text
    assert not driver.find_elements(By.ID, "bundle-accept"), "accepting is offered once only"
    return number


def open_own_task(driver, server: str, application_id: str, name: str) -> str:
    """A member department opens the application (it sees only its own tasks) and its task's case
    from the tasks table; returns the case id."""
    driver.get(server + f"/admin/bundles/{application_id}")
    assert_page_ok(driver, f"the application as the department of “{name}”")
    tasks = task_rows(driver)
    assert name in tasks, f"the department should see its task “{name}”: {list(tasks)}"
    link = driver.find_element(By.XPATH, f"//table[@id='bundle-tasks']//th/a[normalize-space()='{name}']")
    case_id = case_id_of(tasks[name], name)
    click_and_wait_for_new_page(driver, link)
    assert_path(driver, f"/admin/cases/{case_id}", f"opening the task “{name}”")
    assert_page_ok(driver, f"the case of “{name}”")
    assert driver.find_element(By.ID, "case-title").text == name
    return case_id


def approve_task(driver, document: str):
    """Reviews (when the case page offers 开始审查) and grants the task's case."""
    if driver.find_elements(By.ID, "action-review"):
        act(driver, "review")
        assert_state(driver, "审查中", "after 开始审查")
    act(driver, "approve", document=document)
    assert_state(driver, "准予许可", "after 准予许可")


def assert_not_found(driver, what: str):
    status = response_status(driver)
    assert status == 404, f"{what}: expected 404 but {driver.current_url} answered {status}: {body_text(driver)[:300]!r}"


def assert_accessible(driver, what: str):
    problems = a11y_problems(driver)
    assert not problems, f"{what}: accessibility problems: {problems}"


# MARK: 1. 新生儿出生一件事

def test_01_newborn_one_form_one_acceptance(server, driver, screenshot, tmp_path):
    answers = {"maternityAllowance": "否"}
    guide = bundle_guide(server, NEWBORN, answers)
    names = {member["code"]: member["name"] for member in guide["members"]}
    assert [member["name"] for member in guide["members"] if member["chosen"]] == [BIRTH_CERTIFICATE, HOUSEHOLD, INSURANCE, SOCIAL_CARD], guide["members"]
    shared = shared_fields(guide)
    assert {"babyName", "applicantName", "idNumber", "phone"} <= set(shared), shared

    # From the home page's 一件事一次办 card to the merged guide.
    sign_in_applicant(driver, server, CITIZEN)
    driver.get(server + "/")
    assert_page_ok(driver, "the home page")
    card = driver.find_element(By.XPATH, "//section[@aria-labelledby='events-title']//li[contains(@class,'card')]/a[strong[normalize-space()='新生儿出生一件事']]")
    assert urlparse(card.get_attribute("href")).path == f"/bundles/{NEWBORN}"
    click_and_wait_for_new_page(driver, card)
    assert_path(driver, f"/bundles/{NEWBORN}", "after the home page's card")
    assert_page_ok(driver, "the bundle guide")
    assert driver.find_element(By.ID, "bundle-title").text == "新生儿出生一件事"
    meta = driver.find_element(By.CSS_SELECTOR, "main p.meta").text
    assert "牵头部门：贵阳市卫生健康委员会" in meta and f"承诺{guide['promisedLimit']}个工作日内全部办结" in meta, meta

    # The situation: no maternity allowance. The members table shows the order.
    answer_situation(driver, "maternityAllowance", "否")
    rows = member_rows(driver)
    assert set(rows) == set(names.values()), rows
    assert rows[HOUSEHOLD][3] == f"待“{BIRTH_CERTIFICATE}”办结后开始", rows[HOUSEHOLD]
    assert rows[BIRTH_CERTIFICATE][3] == "同时办理", rows[BIRTH_CERTIFICATE]
    assert rows[BIRTH_CERTIFICATE][2] == "即办" and rows[SOCIAL_CARD][2].endswith("个工作日"), rows
    assert rows[MATERNITY][4] == "否" and all(rows[name][4] == "是" for name in (BIRTH_CERTIFICATE, HOUSEHOLD, INSURANCE, SOCIAL_CARD)), rows
    assert "联办事项(本次办理 4 项)" in driver.find_element(By.ID, "members-heading").text
    assert not driver.find_elements(By.ID, "bundle-mapping"), "the field mapping is for staff"
    assert_accessible(driver, "the bundle guide")
    screenshot(driver, "80-bundle-newborn-guide")
    phone_screenshot(driver, screenshot, "80b-phone-bundle-newborn-guide", "the bundle guide")

    # One merged form: every shared field asked once.
    open_apply_page(driver, NEWBORN, guide)
    assert_each_field_once(driver, guide)
    assert len(driver.find_elements(By.ID, "f_babyName")) == 1 and len(driver.find_elements(By.ID, "f_applicantName")) == 1
    assert driver.find_element(By.ID, "f_applicantName").get_attribute("value") == CITIZEN_NAME
    assert CITIZEN not in driver.page_source, "the merged form must not carry the full ID number"
    if driver.find_elements(By.ID, "f_idNumber-prefilled"):
        shown = driver.find_element(By.ID, "f_idNumber-prefilled").text.split()[0]
        assert shown.startswith(CITIZEN[:3]) and shown.endswith(CITIZEN[-4:]) and "*" in shown, shown
    asked = [item.text for item in driver.find_elements(By.CSS_SELECTOR, "#materials-heading + ol li")]
    assert asked and all(any(m["name"] in line for line in asked) for m in guide["materials"] if m["askedOfApplicant"]), asked
    assert_accessible(driver, "the merged form")
    phone_screenshot(driver, screenshot, "81b-phone-bundle-newborn-apply", "the merged form")
    typed = fill_merged_form(driver, guide, {
        "babyName": "张小明", "babyGender": "男", "birthDate": (date.today() - timedelta(days=7)).isoformat(),
        "birthPlace": "医疗机构内出生", "householdChoice": "随父落户", "insuredType": "新生儿", "guardianName": CITIZEN_NAME,
        "makeMode": "银行网点领取", "bankName": "贵阳银行",
    })
    assert {"babyName", "birthDate", "bankName", "guardianName"} <= set(typed), typed
    screenshot(driver, "81-bundle-newborn-apply")
    application_id = submit_application(driver)

    # The application's page: filed, waiting for the one acceptance; every 必交 material given once.
    assert_bundle_state(driver, SUBMITTED, "the new application")
    assert "请在下方一次上传全部材料" in driver.find_element(By.ID, "bundle-notice").text
    assert driver.find_element(By.ID, "bundle-number").text == "一次受理后生成"
    tasks = task_rows(driver)
    assert list(tasks) == [BIRTH_CERTIFICATE, HOUSEHOLD, INSURANCE, SOCIAL_CARD], tasks
    assert all(task["status"] == "待一次受理" for task in tasks.values()), tasks
    form_values = driver.find_element(By.ID, "bundle-form-values").text
    assert "张小明" in form_values and CITIZEN not in driver.page_source, form_values
    uploaded = upload_required_materials(driver, tmp_path, "newborn", guide)
    assert len(uploaded) == len([m for m in guide["materials"] if m["askedOfApplicant"] and m["required"]]), uploaded
    assert_accessible(driver, "the citizen's application page")
    screenshot(driver, "82-bundle-newborn-materials")
    phone_screenshot(driver, screenshot, "82b-phone-bundle-newborn-materials", "the citizen's application page")

    # 卫健, the lead department, accepts the whole application once.
    sign_in_staff(driver, server, HEALTH, start="/admin/bundles")
    open_desk_application(driver, server, application_id)
    assert_bundle_state(driver, SUBMITTED, "the application at the lead window")
    lines = driver.find_element(By.ID, "bundle-form-values").text
    assert "填入：" in lines, "staff see which members each answer fills"
    assert_accessible(driver, "the lead window's application page")
    number = accept_once(driver)
    tasks = task_rows(driver)
    statuses = {name: task["status"] for name, task in tasks.items()}
    assert statuses == {BIRTH_CERTIFICATE: "准予", HOUSEHOLD: "准予", INSURANCE: "准予", SOCIAL_CARD: "办理中"}, statuses
    assert all(task["number"] != "—" for task in tasks.values()), f"every task's case has its number: {tasks}"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", tasks[SOCIAL_CARD]["deadline"]), tasks[SOCIAL_CARD]
    assert tasks[HOUSEHOLD]["department"] == "贵阳市公安局" and tasks[SOCIAL_CARD]["department"] == "贵阳市人力资源和社会保障局", tasks
    timeline = driver.find_element(By.ID, "bundle-timeline").text
    assert f"一次受理，受理编号 {number}" in timeline, timeline
    holdup = driver.find_element(By.ID, "bundle-holdup").text
    assert "贵阳市人力资源和社会保障局" in holdup and SOCIAL_CARD in holdup, holdup
    screenshot(driver, "83-bundle-newborn-accepted")

    # 人社 hears of its task in the department inbox, reviews and grants the card: the bundle completes.
    sign_in_staff(driver, server, HRSS)
    card_case = open_own_task(driver, server, application_id, SOCIAL_CARD)
    messages = wait_for_inbox_message(driver, server + "/admin/inbox", "department-inbox", f"/admin/cases/{card_case}")
    assert any(SOCIAL_CARD in message.text for message in messages), [message.text for message in messages]
    assert open_own_task(driver, server, application_id, SOCIAL_CARD) == card_case
    assert_state(driver, "已受理", "the card's case at 人社")
    assert not driver.find_elements(By.ID, "submit-case")
    approve_task(driver, "筑人社卡〔2026〕E2E-1号")
    screenshot(driver, "84-bundle-newborn-card-approved")

    # A department sees only its own tasks: 公安 sees and opens 户口登记, and cannot open 人社's card.
    sign_in_staff(driver, server, POLICE)
    driver.get(server + f"/admin/bundles/{application_id}")
    assert_page_ok(driver, "the application as 公安")
    own = task_rows(driver)
    assert list(own) == [HOUSEHOLD], f"公安 should see only its own task: {list(own)}"
    assert own[HOUSEHOLD]["status"] == "准予", own
    assert not driver.find_elements(By.ID, "bundle-material-list") and not driver.find_elements(By.ID, "bundle-form-values")
    assert not driver.find_elements(By.ID, "bundle-accept"), "a member department does not accept the bundle"
    household_case = case_id_of(own[HOUSEHOLD], HOUSEHOLD)
    driver.get(server + f"/admin/cases/{household_case}")
    assert_page_ok(driver, "公安 opening its own task")
    assert driver.find_element(By.ID, "case-title").text == HOUSEHOLD
    driver.get(server + f"/admin/cases/{card_case}")
    assert_not_found(driver, "公安 opening 人社's task")
    assert SOCIAL_CARD not in body_text(driver)

    # The citizen sees every result together.
    sign_in_applicant(driver, server, CITIZEN)
    driver.get(server + "/me/bundles")
    assert_page_ok(driver, "我的一件事")
    row = driver.find_element(By.XPATH, f"//table[@id='bundle-applications']//tr[th/a[@href='/me/bundles/{application_id}']]")
    assert "已办结" in row.text and number in row.text, row.text
    click_and_wait_for_new_page(driver, row.find_element(By.TAG_NAME, "a"))
    assert_bundle_state(driver, "已办结", "the citizen's view of the result")
    assert driver.find_element(By.ID, "bundle-outcome").text == "全部办结"
    status_line = driver.find_element(By.XPATH, "//dd[span[@id='bundle-state']]").text
    assert status_line == "已办结 · 全部办结", status_line
    assert driver.find_element(By.ID, "bundle-number").text == number
    assert all(task["status"] == "准予" for task in task_rows(driver).values()), task_rows(driver)
    assert not driver.find_elements(By.CSS_SELECTOR, "#bundle-material-list input[type=file]"), "no uploads once decided"
    assert_accessible(driver, "the completed application")
    screenshot(driver, "85-bundle-newborn-done")
    phone_screenshot(driver, screenshot, "85b-phone-bundle-newborn-done", "the completed application")


# MARK: 2. 开办餐饮店一件事 with tobacco: one correction notice, results together

def test_02_restaurant_with_tobacco_and_one_correction(server, driver, screenshot, tmp_path):
    answers = {"tobacco": "是"}
    guide = bundle_guide(server, RESTAURANT, answers)
    chosen = [member["name"] for member in guide["members"] if member["chosen"]]
    assert chosen == [FOOD_LICENCE, FIRE_CHECK, TOBACCO_LICENCE], guide["members"]

    sign_in_applicant(driver, server, CITIZEN)
    driver.get(server + "/bundles")
    assert_page_ok(driver, "一件事一次办")
    card = driver.find_element(By.CSS_SELECTOR, f"#bundle-list a[href='/bundles/{RESTAURANT}']")
    assert "开办餐饮店一件事" in card.text and "牵头：贵阳市市场监督管理局" in card.text, card.text
    click_and_wait_for_new_page(driver, card)
    assert_path(driver, f"/bundles/{RESTAURANT}", "after the bundle list's card")
    answer_situation(driver, "tobacco", "是")
    rows = member_rows(driver)
    assert rows[TOBACCO_LICENCE][4] == "是" and rows[TOBACCO_LICENCE][1] == "按情形办理", rows[TOBACCO_LICENCE]
    assert rows[SEWAGE][4] == "否", rows[SEWAGE]
    assert all(row[3] == "同时办理" for row in rows.values()), rows

    open_apply_page(driver, RESTAURANT, guide)
    assert_each_field_once(driver, guide)
    for key in shared_fields(guide):
        assert len(driver.find_elements(By.ID, "f_" + key)) == 1, key
    fill_merged_form(driver, guide, {
        "applicantType": "个人", "businessCategory": "餐饮服务经营者", "businessItem": "热食类食品制售", "venueName": "明记小馆",
        "venueArea": "80", "shopAddress": "贵州省贵阳市南明区花果园大街1号", "shopType": "餐饮店",
    })
    screenshot(driver, "86-bundle-restaurant-apply")
    application_id = submit_application(driver)
    assert_bundle_state(driver, SUBMITTED, "the new application")
    assert list(task_rows(driver)) == [FOOD_LICENCE, FIRE_CHECK, TOBACCO_LICENCE]
    uploaded = upload_required_materials(driver, tmp_path, "restaurant", guide)
    assert "烟草专卖零售许可证申请表" in uploaded and "食品经营许可申请书" in uploaded, uploaded
    # A material that two members ask (营业执照) is one row, used by both.
    licence_rows = [row for row in material_table(driver) if row["name"] == "营业执照"]
    assert len(licence_rows) == 1, material_table(driver)

    # 市场监管's window accepts it once: three tasks, one per department, in parallel.
    sign_in_staff(driver, server, MARKET_CLERK, start="/admin/bundles")
    open_desk_application(driver, server, application_id)
    number = accept_once(driver)
    tasks = task_rows(driver)
    assert {name: task["status"] for name, task in tasks.items()} == {FOOD_LICENCE: "办理中", FIRE_CHECK: "办理中", TOBACCO_LICENCE: "办理中"}, tasks
    assert tasks[TOBACCO_LICENCE]["department"] == "贵阳市烟草专卖局", tasks[TOBACCO_LICENCE]

    # 烟草 asks for a correction on its task, from its case page.
    sign_in_staff(driver, server, TOBACCO)
    tobacco_case = open_own_task(driver, server, application_id, TOBACCO_LICENCE)
    reason = "经营场所使用证明未载明租赁期限，请补充有效期内的房屋租赁合同。"
    act(driver, "requestCorrection", reason=reason)
    assert_state(driver, "待补正", "after 一次性告知补正 on the tobacco task")
    screenshot(driver, "87-bundle-task-correction")

    # The one notice on the bundle's page; the citizen gives the file again and answers it.
    sign_in_applicant(driver, server, CITIZEN)
    driver.get(server + f"/me/bundles/{application_id}")
    assert_bundle_state(driver, "待补正", "the citizen's view of the correction")
    notices = driver.find_elements(By.ID, "bundle-correction")
    assert len(notices) == 1, "one correction notice for the whole application"
    notice = notices[0].text
    assert "一次性补正告知" in notice and reason in notice and TOBACCO_LICENCE in notice, notice
    tasks = task_rows(driver)
    assert tasks[TOBACCO_LICENCE]["status"] == "待补正" and reason in tasks[TOBACCO_LICENCE]["cell"], tasks[TOBACCO_LICENCE]
    assert tasks[FOOD_LICENCE]["status"] == "办理中" and tasks[FIRE_CHECK]["status"] == "办理中", tasks
    place = next(row for row in material_table(driver) if row["name"] == "经营场所使用证明")
    upload_bundle_material(driver, place["position"], write_pdf(tmp_path, "restaurant-corrected-lease"), place["name"])
    answer = driver.find_element(By.ID, "bundle-answer")
    assert answer.text.strip() == "已按告知补正，继续办理"
    assert_accessible(driver, "the application with its correction notice")
    screenshot(driver, "88-bundle-restaurant-correction")
    phone_screenshot(driver, screenshot, "88b-phone-bundle-restaurant-correction", "the correction notice")
    click_and_wait_for_new_page(driver, driver.find_element(By.ID, "bundle-answer"))
    assert_bundle_state(driver, RUNNING, "after 已按告知补正，继续办理")
    assert not driver.find_elements(By.ID, "bundle-correction") and not driver.find_elements(By.ID, "bundle-answer")
    assert task_rows(driver)[TOBACCO_LICENCE]["status"] == "办理中", task_rows(driver)
    assert "申请人已按一次性告知补正" in driver.find_element(By.ID, "bundle-timeline").text

    # Each department grants its own task.
    for account, name, document in (
        (FIRE, FIRE_CHECK, "筑消检字〔2026〕E2E-1号"),
        (TOBACCO, TOBACCO_LICENCE, "筑烟专〔2026〕E2E-1号"),
        (MARKET_APPROVER, FOOD_LICENCE, "筑市监食〔2026〕E2E-1号"),
    ):
        sign_in_staff(driver, server, account)
        case_id = open_own_task(driver, server, application_id, name)
        if name == TOBACCO_LICENCE:
            assert case_id == tobacco_case
        assert case_state(driver) != "待补正", f"“{name}” should be back in progress: {case_state(driver)!r}"
        approve_task(driver, document)

    # The results arrive together.
    sign_in_applicant(driver, server, CITIZEN)
    driver.get(server + f"/me/bundles/{application_id}")
    assert_bundle_state(driver, "已办结", "the citizen's view of the results")
    assert driver.find_element(By.ID, "bundle-outcome").text == "全部办结"
    assert driver.find_element(By.ID, "bundle-number").text == number
    tasks = task_rows(driver)
    assert {name: task["status"] for name, task in tasks.items()} == {FOOD_LICENCE: "准予", FIRE_CHECK: "准予", TOBACCO_LICENCE: "准予"}, tasks
    assert_accessible(driver, "the completed restaurant application")
    screenshot(driver, "89-bundle-restaurant-done")


# MARK: 3. What the bundle's pages offer works

def test_03_bundle_pages_offer_only_what_works(server, driver, tmp_path):
    """Every link and control the bundle's pages offer works:

    - the lead window's #bundle-tasks links only cases its staff may open (another department's would be 404);
    - in 待补正, the bundle page offers an upload only for materials a task that can still take them asks;
    - the applicant's page of a task in correction (/me/cases/{id}, linked from the bundle page) does not
      offer 补正后重新提交, 撤回 or 补正后继续审查 (the answer is the bundle's 已按告知补正，继续办理);
    - once accepted, neither the application nor the task says its time limit starts 受理后 while the
      clock is stopped for a correction.
    """
    guide = bundle_guide(server, RESTAURANT, {"tobacco": "是"})
    sign_in_applicant(driver, server, CITIZEN)
    driver.get(server + f"/bundles/{RESTAURANT}")
    answer_situation(driver, "tobacco", "是")
    open_apply_page(driver, RESTAURANT, guide)
    fill_merged_form(driver, guide, {"applicantType": "个人", "venueArea": "60"})
    application_id = submit_application(driver)
    upload_required_materials(driver, tmp_path, "offers", guide)
    sign_in_staff(driver, server, MARKET_CLERK, start="/admin/bundles")
    open_desk_application(driver, server, application_id)
    accept_once(driver)
    problems = []
    for name, task in task_rows(driver).items():
        if task["href"]:
            driver.get(task["href"])
            if response_status(driver) >= 400:
                problems.append(f"the lead's link to “{name}” answers {response_status(driver)}")
    sign_in_staff(driver, server, TOBACCO)
    tobacco_case = open_own_task(driver, server, application_id, TOBACCO_LICENCE)
    act(driver, "requestCorrection", reason="请补充房屋租赁合同。")

    sign_in_applicant(driver, server, CITIZEN)
    driver.get(server + f"/me/bundles/{application_id}")
    assert_bundle_state(driver, "待补正", "the application in correction")
    promise = driver.find_element(By.XPATH, "//dt[normalize-space()='承诺期限']/following-sibling::dd[1]").text
    if "受理后开始计算" in promise:
        problems.append(f"the accepted application's 承诺期限 reads {promise!r}")
    food_form = next(row for row in material_table(driver) if row["name"] == "食品经营许可申请书")
    if driver.find_elements(By.ID, f"file-{food_form['position']}"):
        upload = driver.find_element(By.ID, f"file-{food_form['position']}")
        upload.send_keys(str(write_pdf(tmp_path, "offers-not-in-correction")))
        click_and_wait_for_new_page(driver, upload.find_element(By.XPATH, "./ancestor::form[1]//button[normalize-space()='上传']"))
        if response_status(driver) >= 400 or bundle_error(driver):
            problems.append(f"an offered upload for “{food_form['name']}” answers {response_status(driver)}: {bundle_error(driver)!r}")
    driver.get(server + f"/me/cases/{tobacco_case}")
    assert_page_ok(driver, "the applicant's page of the task in correction")
    offered = [element.text.strip() for element in driver.find_elements(By.CSS_SELECTOR, "#submit-case, #action-withdraw button, #action-resumeReview button")]
    if offered:
        problems.append(f"the applicant's task page offers {offered}, which the server refuses for a bundle's task")
    limit = driver.find_element(By.XPATH, "//dt[normalize-space()='办理期限']/following-sibling::dd[1]").text
    if "受理后开始计算" in limit:
        problems.append(f"the accepted task's 办理期限 reads {limit!r}")
    assert not problems, problems
