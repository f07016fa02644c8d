import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

/// 电子监察: `GET /api/v1/supervision/overview` shows each department's red and yellow cards, the
/// watch's alerts and the open bad reviews, to supervisors only and within their grants.
final class SupervisionTests: XCTestCase {
    typealias Overview = SupervisionService.Overview

    /// In the market department (the city's): one case overdue, one in its warning days, one
    /// decided after its deadline, and a bad review whose rectification is overdue; in the
    /// district's department, a bad rating of a visit at its window B01 (rectification open, on
    /// time). The clock ends on Monday 2026-12-14, after the deadline watch has run.
    func cityWithLateWork(_ app: Application, _ clock: FixedTimeSource) async throws -> (overdue: UUID, warned: UUID, rectification: UUID, district: UUID) {
        let overdue = try await makeCase(app, .accepted).requireID()  // due Friday 2026-11-27
        let late = try await makeCase(app, .accepted).requireID()
        let review = try await ReviewKit.rate(app, overdue, level: 1, reasons: ["tooSlow"])  // rectification due 2026-12-11
        let rectification = try await ReviewKit.rectification(of: review, app).requireID()
        clock.set(Fixtures.date("2026-12-09"))
        let warned = try await makeCase(app, .accepted).requireID()  // due Wednesday 2026-12-16
        try await ReviewKit.window(app, "B01", department: Fixtures.districtDepartment, region: Fixtures.district)
        let clerk = EvaluationService(try CaseFactory(app: app).context(.staff(account: "district.clerk", grants: ReviewKit.districtClerk)))
        let visit = try await clerk.startVisit(window: "B01", applicantID: nil)
        let visitor = EvaluationService(try CaseFactory(app: app).context(.anonymous))
        let bad = try await visitor.rateVisit(window: "B01", visitID: try visit.requireID(), ReviewSubmission(level: 2, reasons: ["longWait"]))
        let district = try await ReviewKit.rectification(of: bad, app).requireID()
        clock.set(Fixtures.date("2026-12-14"))
        try await CaseFactory(app: app).step(.approve, on: late, by: .approver, for: try await makeApplicant(app))  // 11 working days late
        try await DeadlineWatch(app: app).runOnce()
        return (overdue, warned, rectification, district)
    }

    func overview(_ app: Application, _ query: String = "", token: String, file: StaticString = #filePath, line: UInt = #line) async throws -> Overview {
        let res = try await call(app, .GET, "/api/v1/supervision/overview" + query, token: token)
        XCTAssertEqual(res.status, .ok, res.body.string, file: file, line: line)
        return try res.content.decode(Overview.self)
    }

    func testAnOverdueCaseIsARedCardForItsDepartmentWithEveryFigureBehindIt() async throws {
        try await withApp { app, clock in
            // setup
            let (overdue, warned, rectification, district) = try await cityWithLateWork(app, clock)
            try await staffToken(app, "supervisor", ReviewKit.supervisor)

            // act
            let board = try await overview(app, token: try await ReviewKit.signIn(app, "supervisor"))

            // check: one card per department, the red one first.
            XCTAssertEqual(board.today, "2026-12-14")
            XCTAssertEqual(board.cards.map(\.departmentCode), [Fixtures.cityDepartment, Fixtures.districtDepartment])
            let market = try XCTUnwrap(board.cards.first)
            XCTAssertEqual(market.departmentName, "福州市市场监督管理局")
            XCTAssertEqual(market.overdueCases, 1)
            XCTAssertEqual(market.warnedCases, 1)
            XCTAssertEqual(market.openCases, 2)
            XCTAssertEqual(market.lateDecisions, 1)
            XCTAssertEqual(market.overdueRectifications, 1)
            XCTAssertEqual(market.openRectifications, 1)
            XCTAssertEqual(market.redCards, 3, "an overdue case, a late decision, an overdue rectification")
            XCTAssertEqual(market.yellowCards, 1)
            XCTAssertEqual(market.colour, "red")
            let districtCard = try XCTUnwrap(board.cards.last)
            XCTAssertEqual([districtCard.redCards, districtCard.yellowCards, districtCard.openRectifications], [0, 0, 1])
            XCTAssertEqual(districtCard.colour, "green")

            // The alerts drill down to the cases, red first, with their age in working days and the clerk.
            XCTAssertEqual(board.alerts.map(\.caseID), [overdue, warned])
            XCTAssertEqual(board.alerts.map(\.level), ["red", "yellow"])
            XCTAssertEqual(board.alerts.first?.deadline, "2026-11-27")
            XCTAssertEqual(board.alerts.first?.days, 11, "11-30 … 12-04, 12-07 … 12-11, 12-14")
            XCTAssertEqual(board.alerts.last?.days, 2, "12-15 and 12-16 left")
            XCTAssertEqual(board.alerts.map(\.clerk), ["clerk", "clerk"])
            XCTAssertEqual(board.byItem.map(\.key), [foodCode])
            XCTAssertEqual(board.byItem.first.map { [$0.red, $0.yellow] }, [1, 1])
            XCTAssertEqual(board.byRegion.map(\.key), [Fixtures.city])
            XCTAssertEqual(board.byClerk.map(\.key), ["clerk"])
            XCTAssertEqual(board.rectifications.map(\.id), [rectification, district], "by deadline")
            XCTAssertEqual(board.rectifications.map(\.level), ["red", "green"])
            XCTAssertEqual([board.badReviewsOpen, board.badReviewsOverdue], [2, 1])

            // Narrowed by department or region.
            var narrowed = try await overview(app, "?department=\(Fixtures.districtDepartment)", token: try await ReviewKit.signIn(app, "supervisor"))
            XCTAssertEqual(narrowed.cards.map(\.departmentCode), [Fixtures.districtDepartment])
            XCTAssertEqual(narrowed.alerts.count, 0)
            narrowed = try await overview(app, "?region=\(Fixtures.district)", token: try await ReviewKit.signIn(app, "supervisor"))
            XCTAssertEqual(narrowed.cards.map(\.departmentCode), [Fixtures.districtDepartment], "the city's cases are outside the district")
            XCTAssertEqual(narrowed.rectifications.map(\.id), [district])
            let res = try await call(app, .GET, "/api/v1/supervision/overview?region=xyz", token: try await ReviewKit.signIn(app, "supervisor"))
            XCTAssertEqual(try problem(res).code, "supervision.region_invalid")
        }
    }

    func testASupervisorSeesOnlyTheDepartmentsAndRegionsOfTheirGrants() async throws {
        try await withApp { app, clock in
            // setup
            let (overdue, _, rectification, district) = try await cityWithLateWork(app, clock)
            try await staffToken(app, "district.supervisor", [Grant(role: .supervisor, scope: Scope(departmentCreditCode: Fixtures.districtDepartment))])
            try await staffToken(app, "market.supervisor", [Grant(role: .supervisor, scope: Scope(departmentCreditCode: Fixtures.cityDepartment))])
            try await staffToken(app, "gulou.supervisor", [Grant(role: .supervisor, scope: Scope(regionCode: Fixtures.district))])

            // act, check: the district department's supervisor sees nothing of the market department.
            for account in ["district.supervisor", "gulou.supervisor"] {
                let token = try await ReviewKit.signIn(app, account)
                var board = try await overview(app, token: token)
                XCTAssertEqual(board.cards.map(\.departmentCode), [Fixtures.districtDepartment], "\(account): no card for another department")
                XCTAssertEqual(board.alerts.count, 0, account)
                XCTAssertEqual(board.byItem.count + board.byClerk.count + board.byRegion.count, 0, account)
                XCTAssertEqual(board.rectifications.map(\.id), [district], account)
                XCTAssertEqual([board.badReviewsOpen, board.badReviewsOverdue], [1, 0], account)
                // Asking for the other department does not widen the grant.
                board = try await overview(app, "?department=\(Fixtures.cityDepartment)", token: token)
                XCTAssertEqual(board.cards.count, 0, account)
                XCTAssertEqual(board.alerts.count, 0, account)
                XCTAssertEqual(board.rectifications.count, 0, account)
                let raw = try await call(app, .GET, "/api/v1/supervision/overview", token: token)
                XCTAssertFalse(raw.body.string.contains(overdue.uuidString), account)
            }
            // The market department's supervisor sees theirs only.
            let board = try await overview(app, token: try await ReviewKit.signIn(app, "market.supervisor"))
            XCTAssertEqual(board.cards.map(\.departmentCode), [Fixtures.cityDepartment])
            XCTAssertEqual(board.cards.first?.redCards, 3)
            XCTAssertEqual(board.alerts.first?.caseID, overdue)
            XCTAssertEqual(board.rectifications.map(\.id), [rectification])
        }
    }

    func testOnlySupervisorsOpenTheBoard() async throws {
        try await withApp { app, _ in
            let citizen = try await citizenAndStranger(app).citizen
            for (account, grants) in [("approver", cityApprover), ("clerk", cityClerk), ("market.admin", cityMarketAdmin), ("hotline", ReviewKit.hotline)] {
                let res = try await call(app, .GET, "/api/v1/supervision/overview", token: try await staffToken(app, account, grants))
                XCTAssertEqual(res.status, .forbidden, account)
            }
            var res = try await call(app, .GET, "/api/v1/supervision/overview", token: citizen)
            XCTAssertEqual(res.status, .forbidden)
            res = try await call(app, .GET, "/api/v1/supervision/overview")
            XCTAssertEqual(res.status, .unauthorized)
            let supervisor = try await staffToken(app, "supervisor", ReviewKit.supervisor)
            let empty = try await overview(app, token: supervisor)
            XCTAssertEqual(empty.cards.count, 0, "a quiet city has no cards")
            XCTAssertEqual(empty.periodFrom, "2026-10-24")
        }
    }
}
