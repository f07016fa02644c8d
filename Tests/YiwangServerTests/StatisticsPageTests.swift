import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

/// The statistics pages (the public figures with their charts, the hall screen) and the
/// supervision board with its drill-down lists; the chart builder on its own.
final class StatisticsPageTests: XCTestCase {
    let supervisorEverywhere = [Grant(role: .supervisor, scope: .everywhere)]

    func occurrences(of needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    // MARK: /statistics

    func testTheStatisticsPageDrawsEachChartBesideItsTableWithTheLedgersFigures() async throws {
        try await withApp { app, _ in
            // setup: three applications today, two accepted, one decided within its deadline.
            try await makeCase(app, .approved)
            try await makeCase(app, .accepted)
            try await makeCase(app, .submitted)

            // act
            let res = try await call(app, .GET, "/statistics")

            // check
            XCTAssertEqual(res.status, .ok, res.body.string)
            let html = res.body.string
            XCTAssertEqual(occurrences(of: "<svg", in: html), 4, "by department, by day, by region, by review level")
            XCTAssertEqual(occurrences(of: "<table", in: html), 4, "a table beside each chart")
            XCTAssertEqual(occurrences(of: "role=\"img\"", in: html), 4)
            XCTAssertTrue(html.contains("<span class=\"stat-label\">申报量</span><span class=\"stat-value\">3</span>"), html)
            XCTAssertTrue(html.contains("<span class=\"stat-label\">受理量</span><span class=\"stat-value\">2</span>"))
            XCTAssertTrue(html.contains("<span class=\"stat-label\">作出决定</span><span class=\"stat-value\">1</span>"))
            XCTAssertTrue(html.contains("<span class=\"stat-label\">按时办结率</span><span class=\"stat-value\">100.0%</span>"))
            // No reviews and nothing delivered yet: "—", never 0 %.
            XCTAssertTrue(html.contains("<span class=\"stat-label\">满意度指数</span><span class=\"stat-value\">—</span>"))
            XCTAssertTrue(html.contains("<span class=\"stat-label\">差评率</span><span class=\"stat-value\">—</span>"))
            XCTAssertTrue(html.contains("<span class=\"stat-label\">全程网办率</span><span class=\"stat-value\">—</span>"))
            // The department's row and bar, today's row in the daily table, the region.
            XCTAssertTrue(html.contains("<th scope=\"row\">福州市市场监督管理局</th><td>3</td><td>2</td><td>1</td>"), html)
            XCTAssertTrue(html.contains("福州市市场监督管理局：3</title>"), "the bar's own title")
            XCTAssertTrue(html.contains("<th scope=\"row\">2026-11-22</th><td>3</td><td>1</td>"))
            XCTAssertTrue(html.contains("<th scope=\"row\">福州市</th><td>350100000000</td><td>3</td>"))
            XCTAssertTrue(html.contains("作出决定</text>") && html.contains("申报量</text>"), "each line named at its end")
            XCTAssertTrue(html.contains("/api/v1/statistics?from=2026-10-24&amp;to=2026-11-22&amp;groupBy=department&amp;format=csv"), "the CSV link")
            XCTAssertTrue(html.contains("viewBox=\"0 0 \(Int(Chart.width)) ") && html.contains("width=\"100%\""), "charts scale to the screen")
            XCTAssertTrue(html.contains("<link rel=\"stylesheet\" href=\"/css/statistics.css\">"))

            // The CSV the page links to answers with the same total.
            let csv = try await call(app, .GET, "/api/v1/statistics?from=2026-10-24&to=2026-11-22&groupBy=department&format=csv")
            XCTAssertEqual(csv.status, .ok)
            XCTAssertTrue(csv.body.string.contains("福州市市场监督管理局,3,2,1"), csv.body.string)

            // By day the chosen grouping is the daily table itself (the line chart draws it).
            let daily = try await call(app, .GET, "/statistics?groupBy=day&from=2026-11-01&to=2026-11-22")
            XCTAssertEqual(daily.status, .ok, daily.body.string)
            XCTAssertEqual(occurrences(of: "<svg", in: daily.body.string), 3)
            XCTAssertEqual(occurrences(of: "<table", in: daily.body.string), 4)
            XCTAssertTrue(daily.body.string.contains("<option value=\"day\" selected>按日期</option>"))

            // A period longer than a year still draws its last 366 days.
            let long = try await call(app, .GET, "/statistics?from=2024-01-01&to=2026-11-22&groupBy=item")
            XCTAssertEqual(long.status, .ok, long.body.string)
            XCTAssertTrue(long.body.string.contains("图表只画出最后 366 天"))
            XCTAssertTrue(long.body.string.contains("食品经营许可(新办)"))
        }
    }

    func testABadFilterAnswers400InChineseAndKeepsTheForm() async throws {
        try await withApp { app, _ in
            var res = try await call(app, .GET, "/statistics?from=2026-13-01&groupBy=region")
            XCTAssertEqual(res.status, .badRequest)
            var html = res.body.string
            XCTAssertTrue(html.contains("日期格式应为 YYYY-MM-DD。"), html)
            XCTAssertTrue(html.contains("value=\"2026-13-01\""), "the form keeps what was typed")
            XCTAssertTrue(html.contains("id=\"stat-from\" name=\"from\" type=\"date\" value=\"2026-13-01\" aria-invalid=\"true\""))
            XCTAssertTrue(html.contains("<option value=\"region\" selected>按区域</option>"))
            XCTAssertFalse(html.contains("<svg"))

            res = try await call(app, .GET, "/statistics?from=2026-11-22&to=2026-11-01")
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertTrue(res.body.string.contains("起始日期不能晚于截止日期。"))

            res = try await call(app, .GET, "/statistics?groupBy=%3Cscript%3E")
            XCTAssertEqual(res.status, .badRequest)
            html = res.body.string
            XCTAssertTrue(html.contains("分组方式") && html.contains("groupBy 只能是"))
            XCTAssertFalse(html.contains("<script>"), "what was typed comes back escaped")

            res = try await call(app, .GET, "/statistics?region=abc")
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertTrue(res.body.string.contains("行政区划代码无效。"))
        }
    }

    // MARK: /statistics/screen

    func testTheHallScreenShowsTodayAndTheMonthAndRefreshesItself() async throws {
        try await withApp { app, _ in
            try await makeCase(app, .accepted)
            let res = try await call(app, .GET, "/statistics/screen")
            XCTAssertEqual(res.status, .ok, res.body.string)
            let html = res.body.string
            XCTAssertTrue(html.contains("<meta http-equiv=\"refresh\" content=\"60\">"))
            XCTAssertTrue(html.contains("<body class=\"screen\">"))
            XCTAssertTrue(html.contains("<span class=\"stat-label\">今日申报</span><span class=\"stat-value\">1</span>"), html)
            XCTAssertTrue(html.contains("<span class=\"stat-label\">本月申报</span><span class=\"stat-value\">1</span>"))
            XCTAssertTrue(html.contains("今日（2026-11-22）") && html.contains("本月（2026-11-01 至 2026-11-22）"))
            XCTAssertTrue(html.contains("<svg") && html.contains("福州市市场监督管理局"))
            XCTAssertFalse(html.contains("张明") || html.contains(citizenID), "no personal data on the hall's screen")
        }
    }

    // MARK: /admin/supervision

    func testTheBoardIsForSupervisorsAndDrillsDownToTheCase() async throws {
        try await withApp { app, _ in
            // setup: a case past its deadline, flagged red by the watch.
            let overdue = try await makeCase(app, .overdue).requireID()
            let report = try await DeadlineWatch(app: app).runOnce()
            XCTAssertEqual(report.overdue, 1)
            try await staffToken(app, "supervisor", supervisorEverywhere)
            try await staffToken(app, "approver", cityApprover)

            // act
            var supervisor = try await BrowserSession.signIn(app, at: "/admin/login", account: "supervisor", password: testPassword, landing: "/admin")
            var res = try await supervisor.get(app, "/admin/supervision")

            // check: the card says its colour in words, the rule is written, the numbers lead on.
            XCTAssertEqual(res.status, .ok, res.body.string)
            var html = res.body.string
            XCTAssertTrue(html.contains("<span class=\"card-word card-red\">红牌</span>福州市市场监督管理局"), html)
            XCTAssertTrue(html.contains("id=\"card-rule\""))
            XCTAssertTrue(html.contains("每件记红牌一张"))
            XCTAssertTrue(html.contains("/admin/supervision/cases?department=\(Fixtures.cityDepartment)&amp;level=red"))
            XCTAssertTrue(html.contains("/admin/supervision/cases?item=\(foodCode)&amp;level=red"), "by item")
            XCTAssertTrue(html.contains("/admin/supervision/cases?clerk=clerk&amp;level=red"), "by the clerk who accepted")
            XCTAssertTrue(html.contains("/admin/supervision/cases?region=\(Fixtures.city)&amp;level=red"), "by region")
            XCTAssertTrue(html.contains("/admin/cases/\(overdue.uuidString)"), "the alert list leads to the case")
            XCTAssertTrue(html.contains("超期 1 个工作日") || html.contains("超期 0 个工作日"), html)
            XCTAssertTrue(html.contains("href=\"/admin/supervision\">电子监察</a>"), "the staff nav offers the board")

            // The drill-down list and, from there, the case.
            res = try await supervisor.get(app, "/admin/supervision/cases?department=\(Fixtures.cityDepartment)&level=red")
            XCTAssertEqual(res.status, .ok, res.body.string)
            html = res.body.string
            XCTAssertTrue(html.contains("<strong id=\"drill-total\">1</strong>"), html)
            XCTAssertTrue(html.contains("/admin/cases/\(overdue.uuidString)"))
            res = try await supervisor.get(app, "/admin/cases/\(overdue.uuidString)")
            XCTAssertEqual(res.status, .ok, "a supervisor reads the case")
            res = try await supervisor.get(app, "/admin/supervision/cases?level=yellow")
            XCTAssertTrue(res.body.string.contains("<strong id=\"drill-total\">0</strong>"), "no case in its warning days")
            res = try await supervisor.get(app, "/admin/supervision/cases?clerk=clerk")
            XCTAssertTrue(res.body.string.contains("<strong id=\"drill-total\">1</strong>"), res.body.string)
            res = try await supervisor.get(app, "/admin/supervision/cases?clerk=someone-else")
            XCTAssertTrue(res.body.string.contains("<strong id=\"drill-total\">0</strong>"))
            res = try await supervisor.get(app, "/admin/supervision/rectifications")
            XCTAssertEqual(res.status, .ok, res.body.string)

            // Bad filters are a 400 in Chinese.
            res = try await supervisor.get(app, "/admin/supervision/cases?level=purple")
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertTrue(res.body.string.contains("预警级别只能是"))
            res = try await supervisor.get(app, "/admin/supervision?region=xyz")
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertTrue(res.body.string.contains("行政区划代码无效。"))

            // An approver is refused; the signed-out are sent to sign in.
            var approver = try await BrowserSession.signIn(app, at: "/admin/login", account: "approver", password: testPassword, landing: "/admin")
            res = try await approver.get(app, "/admin/supervision")
            XCTAssertEqual(res.status, .forbidden)
            XCTAssertFalse(res.body.string.contains("红牌"))
            res = try await approver.get(app, "/admin/supervision/cases?level=red")
            XCTAssertEqual(res.status, .forbidden)
            res = try await approver.get(app, "/admin")
            XCTAssertFalse(res.body.string.contains("href=\"/admin/supervision\""), "the nav offers the board only to those who may see it")
            res = try await call(app, .GET, "/admin/supervision")
            XCTAssertEqual(res.status, .seeOther)
            XCTAssertTrue(res.headers.first(name: .location)?.hasPrefix("/admin/login") ?? false)
        }
    }

    func testASupervisorOfOneDepartmentSeesOnlyItsOwnRedCases() async throws {
        try await withApp { app, _ in
            // setup: two overdue cases; the second is handled by the district's department.
            let city = try await makeCase(app, .overdue).requireID()
            let district = try await makeCase(app, .overdue, applicant: agentID).requireID()
            let found = try await CaseRecord.find(district, on: app.db)
            let moved = try XCTUnwrap(found)
            moved.departmentCode = Fixtures.districtDepartment
            moved.regionCode = Fixtures.district
            try await moved.save(on: app.db)
            let report = try await DeadlineWatch(app: app).runOnce()
            XCTAssertEqual(report.overdue, 2)
            try await staffToken(app, "district-supervisor", [Grant(role: .supervisor, scope: Scope(departmentCreditCode: Fixtures.districtDepartment))])
            try await staffToken(app, "supervisor", supervisorEverywhere)

            // act
            var scoped = try await BrowserSession.signIn(app, at: "/admin/login", account: "district-supervisor", password: testPassword, landing: "/admin")
            var res = try await scoped.get(app, "/admin/supervision/cases?level=red")

            // check: the district's case only, even when asking for the other department.
            XCTAssertEqual(res.status, .ok, res.body.string)
            var html = res.body.string
            XCTAssertTrue(html.contains("/admin/cases/\(district.uuidString)"), html)
            XCTAssertFalse(html.contains("/admin/cases/\(city.uuidString)"))
            XCTAssertTrue(html.contains("<strong id=\"drill-total\">1</strong>"))
            res = try await scoped.get(app, "/admin/supervision/cases?department=\(Fixtures.cityDepartment)&level=red")
            XCTAssertTrue(res.body.string.contains("<strong id=\"drill-total\">0</strong>"))
            XCTAssertFalse(res.body.string.contains("/admin/cases/\(city.uuidString)"))
            res = try await scoped.get(app, "/admin/supervision")
            XCTAssertEqual(res.status, .ok, res.body.string)
            html = res.body.string
            XCTAssertTrue(html.contains("鼓楼区行政审批局"))
            XCTAssertFalse(html.contains("/admin/cases/\(city.uuidString)"), "the board's alert list is scoped too")
            XCTAssertFalse(html.contains("card-word card-red\">红牌</span>福州市市场监督管理局"))

            // A supervisor of everywhere sees both.
            var everywhere = try await BrowserSession.signIn(app, at: "/admin/login", account: "supervisor", password: testPassword, landing: "/admin")
            res = try await everywhere.get(app, "/admin/supervision/cases?level=red")
            XCTAssertTrue(res.body.string.contains("<strong id=\"drill-total\">2</strong>"), res.body.string)
        }
    }

    // MARK: The chart builder

    func testChartLabelsAndTitlesAreEscaped() {
        let hostile = "<script>alert('x')</script> & \"quoted\""
        let bars = [Chart.Bar(label: hostile, value: 3), Chart.Bar(label: "正常", value: 1)]
        for svg in [
            Chart.bars(bars, id: "a\"b", title: hostile, summary: hostile),
            Chart.horizontalBars(bars, id: "a\"b", title: hostile, summary: hostile),
            Chart.lines([Chart.Series(name: hostile, values: [1, 2])], labels: [hostile, "b"], id: "a\"b", title: hostile, summary: hostile),
        ] {
            XCTAssertFalse(svg.contains("<script>"), svg)
            XCTAssertFalse(svg.contains("\"quoted\""), svg)
            XCTAssertTrue(svg.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;"), svg)
            XCTAssertTrue(svg.contains("id=\"a&quot;b-desc\""))
            XCTAssertTrue(svg.hasPrefix("<svg ") && svg.hasSuffix("</svg>"))
            XCTAssertTrue(svg.contains("role=\"img\"") && svg.contains("<title") && svg.contains("<desc"))
            XCTAssertEqual(svg.components(separatedBy: "<g").count, svg.components(separatedBy: "</g>").count, "balanced groups")
        }
        XCTAssertEqual(Chart.escape("a\u{0}b\u{7}c"), "abc", "characters XML cannot carry are dropped")
    }

    func testChartsDrawValuesAsTextAndSurviveOddInput() {
        let others = (1...6).map { Chart.Bar(label: "部门\($0)", value: Double($0)) }
        let svg = Chart.bars(
            [Chart.Bar(label: "很长很长很长很长很长很长很长很长的部门名称", value: 12), Chart.Bar(label: "乙", value: 0)] + others, id: "c", title: "t", summary: "s")
        XCTAssertTrue(svg.contains(">12</text>") && svg.contains(">0</text>"), "each bar carries its value")
        XCTAssertTrue(svg.contains("…</text>"), "a long label is cut, its whole text in the bar's title")
        XCTAssertTrue(svg.contains("<title>很长很长很长很长很长很长很长很长的部门名称：12</title>"))
        XCTAssertTrue(Chart.bars([], id: "e", title: "t", summary: "s").contains("暂无数据"))
        XCTAssertTrue(Chart.lines([], labels: [], id: "e", title: "t", summary: "s").contains("暂无数据"))
        // Zeros, NaN and infinity draw without trapping.
        let odd = Chart.horizontalBars([Chart.Bar(label: "a", value: .nan), Chart.Bar(label: "b", value: .infinity), Chart.Bar(label: "c", value: 0)], id: "o", title: "t", summary: "s")
        XCTAssertFalse(odd.contains("nan") || odd.contains("inf"), odd)
        XCTAssertTrue(odd.contains("a：—</title>"), "what is not a number is shown as a dash")
        let flat = Chart.lines([Chart.Series(name: "x", values: [0, 0, 0])], labels: ["1", "2", "3"], id: "f", title: "t", summary: "s")
        XCTAssertTrue(flat.contains("<polyline"))
        // Two lines: told apart by dash and marker, not colour alone.
        let two = Chart.lines(
            [Chart.Series(name: "申报量", values: [1, 2]), Chart.Series(name: "作出决定", values: [1, 1])], labels: ["11-21", "11-22"], id: "l", title: "t", summary: "s")
        XCTAssertTrue(two.contains("stroke-dasharray") && two.contains("<circle") && two.contains("<rect"))
        XCTAssertEqual([Chart.Scale(max: 37).step, Chart.Scale(max: 37).top], [10, 40])
        XCTAssertEqual(Chart.Scale(max: 0).top, 4)
        XCTAssertEqual(Chart.wrap("一二三四五", perLine: 2, lines: 2), ["一二", "三…"])
        XCTAssertEqual(Chart.wrap("一二三", perLine: 2, lines: 2), ["一二", "三"])
    }
}
