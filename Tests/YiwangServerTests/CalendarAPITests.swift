import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

final class CalendarAPITests: XCTestCase {
    func testDeadlinesFollowTheOfficialCalendarAndRefuseUncoveredYears() async throws {
        try await withApp(seed: false) { app, _ in
            try await app.test(.GET, "/api/v1/calendar/deadline?from=2025-09-30&workingDays=3") { res async throws in
                XCTAssertEqual(res.status, .ok)
                XCTAssertEqual(try res.content.decode(DeadlineResponse.self).deadline, "2025-10-11", "over National Day to the 调休 Saturday")
            }
            try await app.test(.GET, "/api/v1/calendar/deadline?from=2026-12-20&workingDays=20") { res async throws in
                XCTAssertEqual(res.status, .badRequest)
                let body = try problem(res)
                XCTAssertEqual(body.code, "calendar.year_not_covered")
                XCTAssertTrue(body.detail.contains("2027"))
            }
            for bad in ["from=2025-02-29&workingDays=3", "from=2025-01-01&workingDays=-1", "from=2025-01-01", "workingDays=abc"] {
                try await app.test(.GET, "/api/v1/calendar/deadline?\(bad)") { res async throws in
                    XCTAssertEqual(res.status, .badRequest, bad)
                    XCTAssertEqual(try problem(res).code, "calendar.query", bad)
                }
            }
            try await app.test(.GET, "/api/v1/calendar/years") { res async throws in
                let years = try res.content.decode([CalendarYearSummary].self)
                XCTAssertEqual(years.map(\.year), [2024, 2025, 2026])
                XCTAssertEqual(years.map(\.workingDays), [251, 248, 248])
            }
        }
    }

    func testSystemAdministratorsEnterANewYearAndDeadlinesUseItAtOnce() async throws {
        try await withApp(seed: false) { app, _ in
            let admin = try await staffToken(app, "root", [Grant(role: .systemAdministrator, scope: .everywhere)])
            let clerk = try await staffToken(app, "clerk", [Grant(role: .windowClerk, scope: .everywhere)])
            let year2027 = HolidayYear(year: 2027, source: "测试用安排", holidays: [
                .init(name: "元旦", daysOff: [try LocalDate("2027-01-01")]),
            ])
            try await app.test(.PUT, "/api/v1/calendar/years/2027", headers: .bearer(clerk), beforeRequest: { req in
                try req.content.encode(year2027)
            }, afterResponse: { res async in XCTAssertEqual(res.status, .forbidden) })
            var wrong = year2027
            wrong.holidays[0].workdays = [try LocalDate("2027-01-05")]
            try await app.test(.PUT, "/api/v1/calendar/years/2027", headers: .bearer(admin), beforeRequest: { req in
                try req.content.encode(wrong)
            }, afterResponse: { res async throws in
                XCTAssertEqual(res.status, .badRequest)
                XCTAssertTrue(try problem(res).detail.contains("不是周末"))
            })
            try await app.test(.PUT, "/api/v1/calendar/years/2028", headers: .bearer(admin), beforeRequest: { req in
                try req.content.encode(year2027)
            }, afterResponse: { res async throws in
                XCTAssertEqual(try problem(res).code, "calendar.year")
            })
            try await app.test(.PUT, "/api/v1/calendar/years/2027", headers: .bearer(admin), beforeRequest: { req in
                try req.content.encode(year2027)
            }, afterResponse: { res async in XCTAssertEqual(res.status, .ok) })
            try await app.test(.GET, "/api/v1/calendar/deadline?from=2026-12-20&workingDays=20") { res async throws in
                XCTAssertEqual(try res.content.decode(DeadlineResponse.self).deadline, "2027-01-18")
            }
            let events = try await AuditEventRecord.query(on: app.db).filter(\.$action == "calendar.set").all()
            XCTAssertEqual(events.map(\.subjectID), ["2027"])
            XCTAssertEqual(events.first?.actor, "root")
        }
    }

    func testTheCalendarPageListsYearsAndTakesANewOne() async throws {
        try await withApp(seed: false) { app, _ in
            try await staffToken(app, "root", [Grant(role: .systemAdministrator, scope: .everywhere)])
            try await staffToken(app, "clerk", [Grant(role: .windowClerk, scope: .everywhere)])
            var clerk = try await BrowserSession.signIn(app, at: "/admin/login", account: "clerk", password: testPassword, landing: "/admin")
            let refused = try await clerk.get(app, "/admin/calendar").status
            XCTAssertEqual(refused, .forbidden)
            var browser = try await BrowserSession.signIn(app, at: "/admin/login", account: "root", password: testPassword, landing: "/admin/calendar")
            var page = try await browser.get(app, "/admin/calendar")
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.body.string.contains("248 天"))
            XCTAssertTrue(page.body.string.contains("春节：2026-02-15至2026-02-23(2026-02-14、2026-02-28 上班)"))
            page = try await browser.get(app, "/admin/calendar?edit=2025")
            XCTAssertTrue(page.body.string.contains("国办发明电〔2024〕12号"))
            page = try await browser.post(app, "/admin/calendar", ["arrangement": "{\"year\": 2027,"])
            XCTAssertEqual(page.status, .badRequest)
            XCTAssertTrue(page.body.string.contains("不是有效的 JSON"))
            let text = #"{"year": 2027, "source": "测试", "holidays": [{"name": "元旦", "daysOff": ["2027-01-01"], "workdays": ["2027-01-04"]}]}"#
            page = try await browser.post(app, "/admin/calendar", ["arrangement": text])
            XCTAssertEqual(page.status, .badRequest, "2027-01-04 is a Monday")
            XCTAssertTrue(page.body.string.contains("不是周末"))
            page = try await browser.post(app, "/admin/calendar", ["arrangement": text.replacingOccurrences(of: "\"2027-01-04\"", with: "\"2027-01-02\"")])
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.body.string.contains("已保存 2027 年"))
        }
    }
}
