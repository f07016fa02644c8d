import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

/// The 好差评 pages: rating from the case page, the single-use link of the SMS and the printed QR
/// code, the window's tablet, the printed receipt and decision, and the published results.
final class EvaluationPageTests: XCTestCase {
    func testTheApplicantRatesTheCaseFromItsPageOncePerStage() async throws {
        try await withApp { app, _ in
            let id = try await makeCase(app, .accepted).requireID()
            var browser = try await BrowserSession.signIn(app, account: citizenID, password: strongPassword)

            var res = try await browser.get(app, "/me/cases/\(id)")
            XCTAssertEqual(res.status, .ok, res.body.string)
            var html = res.body.string
            XCTAssertTrue(html.contains("评价本次服务（好差评）"), html)
            XCTAssertTrue(html.contains("action=\"/me/cases/\(id)/evaluations\""), "the form for the stage open to rate")
            for level in ReviewLevel.allCases { XCTAssertTrue(html.contains(level.chineseName), level.chineseName) }
            XCTAssertTrue(html.contains("name=\"level\" value=\"5\""), "the levels as a radio group")
            XCTAssertTrue(html.contains("name=\"answer.efficiency\""), "each question of the set")
            XCTAssertTrue(html.contains("与总体评价相同"), "a question defaults to the overall level")
            XCTAssertTrue(html.contains("name=\"reason.tooSlow\""), "the reasons of a bad review")
            XCTAssertTrue(html.contains("不满意”或“非常不满意”时必填"), "the hint without script")
            XCTAssertTrue(html.contains("/js/evaluation.js"))

            // A bad level without a reason is refused; the page keeps what was typed.
            res = try await browser.post(app, "/me/cases/\(id)/evaluations", ["level": "1", "answer.efficiency": "2", "text": "窗口排队太久"])
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            html = res.body.string
            XCTAssertTrue(html.contains("须至少选择一项差评原因"), html)
            XCTAssertTrue(html.contains("value=\"1\" checked"), "the level picked stays picked")
            XCTAssertTrue(html.contains("<option value=\"2\" selected>"), "the answer stays chosen")
            XCTAssertTrue(html.contains("窗口排队太久"), "the text is kept")
            var stored = try await ReviewRecord.query(on: app.db).count()
            XCTAssertEqual(stored, 0)

            res = try await browser.post(app, "/me/cases/\(id)/evaluations", ["level": "4", "answer.efficiency": "5", "text": "办得很快"])
            XCTAssertEqual(res.status, .seeOther, res.body.string)
            let location = try XCTUnwrap(res.headers.first(name: .location))
            XCTAssertEqual(location, "/me/cases/\(id)?rated=acceptance")
            let reviewFound = try await ReviewRecord.query(on: app.db).first()
            let review = try XCTUnwrap(reviewFound)
            XCTAssertEqual(review.channel, .web)
            XCTAssertEqual(review.level, .satisfied)
            XCTAssertEqual(review.stage, .acceptance)
            XCTAssertEqual(review.caseID, id)
            XCTAssertEqual(review.answers["efficiency"], 5)
            XCTAssertEqual(review.text, "办得很快")

            res = try await browser.get(app, location)
            XCTAssertEqual(res.status, .ok)
            html = res.body.string
            XCTAssertTrue(html.contains("感谢您对受理环节的评价"), html)
            XCTAssertTrue(html.contains("id=\"case-reviews\""), "the review is listed")
            XCTAssertTrue(html.contains("办得很快"))
            XCTAssertFalse(html.contains("action=\"/me/cases/\(id)/evaluations\""), "no second form for the same stage")

            // A second rating of the same stage is refused with a clear message.
            res = try await browser.post(app, "/me/cases/\(id)/evaluations", ["level": "5"])
            XCTAssertEqual(res.status, .conflict, res.body.string)
            XCTAssertTrue(res.body.string.contains("您已评价过该办件的受理环节"), res.body.string)
            stored = try await ReviewRecord.query(on: app.db).count()
            XCTAssertEqual(stored, 1)

            // Someone else's case is not theirs to rate; signed out, the form sends one to sign in.
            try await makeApplicant(app, agentID)
            var stranger = try await BrowserSession.signIn(app, account: agentID, password: strongPassword)
            res = try await stranger.post(app, "/me/cases/\(id)/evaluations", ["level": "1", "reason.tooSlow": "on"])
            XCTAssertEqual(res.status, .notFound)
            res = try await call(app, .POST, "/me/cases/\(id)/evaluations")
            XCTAssertEqual(res.status, .seeOther)
            XCTAssertTrue(res.headers.first(name: .location)?.hasPrefix("/signin") ?? false)
        }
    }

    func testTheReviewerRatesACompletedRectificationFromTheCasePage() async throws {
        try await withApp { app, _ in
            let record = try await makeCase(app, .accepted)
            let id = try record.requireID()
            var browser = try await BrowserSession.signIn(app, account: citizenID, password: strongPassword)
            try await browser.get(app, "/me/cases/\(id)")
            var res = try await browser.post(app, "/me/cases/\(id)/evaluations", ["level": "2", "reason.tooSlow": "on"])
            XCTAssertEqual(res.status, .seeOther, res.body.string)
            XCTAssertTrue(res.headers.first(name: .location)?.contains("bad=1") ?? false)
            let reviewFound = try await ReviewRecord.query(on: app.db).first()
            let review = try XCTUnwrap(reviewFound)
            let rectificationFound = try await RectificationRecord.query(on: app.db).first()
            let rectification = try XCTUnwrap(rectificationFound)
            XCTAssertEqual(review.reasons.map(\.code), ["tooSlow"])

            res = try await browser.get(app, "/me/cases/\(id)?rated=acceptance&bad=1")
            XCTAssertTrue(res.body.string.contains("待核实"), "the rectification's state")
            XCTAssertFalse(res.body.string.contains("rectification-rating"), "nothing to rate before it is completed")

            // The department closes the loop: verified, replied, called back.
            let staff = try DomainContext(
                app: app, actor: .staff(account: "market.admin", grants: cityMarketAdmin), audit: CaseFactory.audit(.staff(account: "market.admin", grants: cityMarketAdmin)))
            let rectificationID = try rectification.requireID()
            for step in [
                RectificationCommand(action: .verify, kind: .immediate, text: "审批超时属实，已督促"),
                RectificationCommand(action: .reply, text: "已加派人手，今后按时办理"),
                RectificationCommand(action: .returnVisit, text: "申请人认可整改", flag: true),
            ] {
                _ = try await staff.run(RectificationStep(), .init(id: rectificationID, step: step))
            }
            res = try await browser.get(app, "/me/cases/\(id)")
            var html = res.body.string
            XCTAssertTrue(html.contains("整改办结"), html)
            XCTAssertTrue(html.contains("已加派人手，今后按时办理"), "the reply")
            XCTAssertTrue(html.contains("申请人认可整改"), "the return visit")
            let action = "/me/cases/\(id)/evaluations/\(try review.requireID())/rectification-rating"
            XCTAssertTrue(html.contains(action), "the reviewer may rate the rectification")

            res = try await browser.post(app, action, ["level": "5"])
            XCTAssertEqual(res.status, .badRequest, "only 满意, 基本满意 or 不满意")
            res = try await browser.post(app, action, ["level": "4", "text": "满意"])
            XCTAssertEqual(res.status, .seeOther, res.body.string)
            res = try await browser.get(app, try XCTUnwrap(res.headers.first(name: .location)))
            html = res.body.string
            XCTAssertTrue(html.contains("感谢您对整改结果的评价"), html)
            XCTAssertTrue(html.contains("您对整改的评价"))
            XCTAssertFalse(html.contains(action), "rated once")
            let ratings = try await ReviewRecord.query(on: app.db).filter(\.$subjectKindRaw == ReviewSubjectKind.rectification.rawValue).count()
            XCTAssertEqual(ratings, 1)
        }
    }

    func testTheLinkRatesOnceWithoutSigningInThenSaysItIsUsed() async throws {
        try await withApp { app, _ in
            let record = try await makeCase(app, .accepted)
            let id = try record.requireID()
            let token = EvaluationService.token(caseID: id, stage: .acceptance, keys: try app.keyRing)
            var browser = BrowserSession()

            var res = try await browser.get(app, "/e/\(token)?via=qr")
            XCTAssertEqual(res.status, .ok, res.body.string)
            var html = res.body.string
            XCTAssertTrue(html.contains(record.itemName), html)
            XCTAssertTrue(html.contains(try XCTUnwrap(record.number)), "the case number")
            XCTAssertTrue(html.contains("受理环节"), "the stage")
            XCTAssertTrue(html.contains("name=\"via\" value=\"qr\""), "the channel travels with the form")
            XCTAssertFalse(html.contains("张明"), "nothing about the applicant")
            XCTAssertEqual(res.headers.first(name: .cacheControl), "no-store")
            XCTAssertEqual(res.headers.first(name: "Referrer-Policy"), "no-referrer")

            // A refused form keeps the link unused and what was typed.
            res = try await browser.post(app, "/e/\(token)", ["level": "2", "via": "qr", "text": "太慢了"])
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            XCTAssertTrue(res.body.string.contains("须至少选择一项差评原因"))
            XCTAssertTrue(res.body.string.contains("太慢了"))

            res = try await browser.post(app, "/e/\(token)", ["level": "2", "reason.tooSlow": "on", "via": "qr", "text": "太慢了"])
            XCTAssertEqual(res.status, .ok, res.body.string)
            html = res.body.string
            XCTAssertTrue(html.contains("感谢您的评价"), html)
            XCTAssertTrue(html.contains("核实整改"), "a bad review is handed to the department")
            let reviewFound = try await ReviewRecord.query(on: app.db).first()
            let review = try XCTUnwrap(reviewFound)
            XCTAssertEqual(review.channel, .qrCode)
            XCTAssertEqual(review.level, .dissatisfied)
            XCTAssertEqual(review.caseID, id)
            let rectifications = try await RectificationRecord.query(on: app.db).count()
            XCTAssertEqual(rectifications, 1)

            res = try await browser.get(app, "/e/\(token)")
            XCTAssertEqual(res.status, .conflict)
            XCTAssertTrue(res.body.string.contains("已使用"), res.body.string)
            res = try await browser.post(app, "/e/\(token)", ["level": "5", "via": "sms"])
            XCTAssertEqual(res.status, .conflict)
            XCTAssertTrue(res.body.string.contains("已使用"))
            let count = try await ReviewRecord.query(on: app.db).count()
            XCTAssertEqual(count, 1)

            res = try await call(app, .GET, "/e/AAAAAAAAAAAAAAAAAAAAAAAA")
            XCTAssertEqual(res.status, .notFound)
            XCTAssertTrue(res.body.string.contains("评价链接无效"), res.body.string)
            res = try await call(app, .GET, "/e/%3Cscript%3E")
            XCTAssertEqual(res.status, .notFound)
            XCTAssertFalse(res.body.string.contains("<script>"))
        }
    }

    func testTheSMSLinkRatesThroughTheSMSChannel() async throws {
        try await withApp { app, _ in
            let id = try await makeCase(app, .accepted).requireID()
            let token = EvaluationService.token(caseID: id, stage: .acceptance, keys: try app.keyRing)
            var browser = BrowserSession()
            var res = try await browser.get(app, "/e/\(token)")
            XCTAssertTrue(res.body.string.contains("name=\"via\" value=\"sms\""))
            res = try await browser.post(app, "/e/\(token)", ["level": "5", "via": "sms"])
            XCTAssertEqual(res.status, .ok, res.body.string)
            let reviewFound = try await ReviewRecord.query(on: app.db).first()
            let review = try XCTUnwrap(reviewFound)
            XCTAssertEqual(review.channel, .sms)
        }
    }

    func testTheWindowTabletRatesTheVisitWithoutShowingTheVisitor() async throws {
        try await withApp { app, clock in
            try await HallWindowRecord(code: "A01", name: "综合窗口1号", departmentCode: Fixtures.cityDepartment, regionCode: Fixtures.city, at: clock.now())
                .create(on: app.db)
            let hash = try app.password.hash(testPassword)
            try await StaffAccountRecord(account: "clerk", displayName: "刘敏", passwordHash: hash, grants: cityClerk, createdAt: clock.now()).create(on: app.db)
            let visitor = try await makeApplicant(app)
            var tablet = BrowserSession()

            var res = try await tablet.get(app, "/hall/rate/A01")
            XCTAssertEqual(res.status, .ok, res.body.string)
            var html = res.body.string
            XCTAssertTrue(html.contains("综合窗口1号"))
            XCTAssertTrue(html.contains("当前没有需要评价的服务"), html)
            XCTAssertTrue(html.contains("http-equiv=\"refresh\" content=\"10;url=/hall/rate/A01\""), "waits, refreshing itself")
            XCTAssertFalse(html.contains("name=\"level\""))

            let clerk = Actor.staff(account: "clerk", grants: cityClerk)
            let service = EvaluationService(try DomainContext(app: app, actor: clerk, audit: CaseFactory.audit(clerk)))
            let visit = try await service.startVisit(window: "A01", applicantID: visitor.id?.uuidString)
            res = try await tablet.get(app, "/hall/rate/a01")
            XCTAssertEqual(res.status, .ok)
            html = res.body.string
            XCTAssertTrue(html.contains("刘敏"), "the clerk serving")
            XCTAssertTrue(html.contains("name=\"visit\" value=\"\(try visit.requireID())\""))
            XCTAssertTrue(html.contains("name=\"answer.attitude\""), "the in-hall questions")
            XCTAssertTrue(html.contains("name=\"reason.longWait\""), "the in-hall reasons")
            XCTAssertFalse(html.contains("http-equiv=\"refresh\""), "the form stays while it is filled")
            XCTAssertFalse(html.contains("张明"), "never the visitor")
            XCTAssertFalse(html.contains(visitor.identifierMasked), "never the visitor")
            _ = try await service.endVisit(window: "A01")

            res = try await tablet.post(app, "/hall/rate/A01", ["visit": try visit.requireID().uuidString, "level": "1"])
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertTrue(res.body.string.contains("须至少选择一项差评原因"))
            res = try await tablet.post(app, "/hall/rate/A01", ["visit": try visit.requireID().uuidString, "level": "5", "answer.attitude": "5"])
            XCTAssertEqual(res.status, .ok, res.body.string)
            html = res.body.string
            XCTAssertTrue(html.contains("谢谢"), html)
            XCTAssertTrue(html.contains("content=\"5;url=/hall/rate/A01\""), "back to waiting a few seconds later")
            let reviewFound = try await ReviewRecord.query(on: app.db).first()
            let review = try XCTUnwrap(reviewFound)
            XCTAssertEqual(review.channel, .hallTablet)
            XCTAssertEqual(review.subjectKind, .visit)
            XCTAssertEqual(review.visitID, visit.id)

            res = try await tablet.get(app, "/hall/rate/A01")
            XCTAssertTrue(res.body.string.contains("当前没有需要评价的服务"), "rated once")
            res = try await tablet.post(app, "/hall/rate/A01", ["visit": try visit.requireID().uuidString, "level": "5"])
            XCTAssertEqual(res.status, .conflict)
            XCTAssertTrue(res.body.string.contains("已评价过"), res.body.string)

            res = try await call(app, .GET, "/hall/rate/ZZ99")
            XCTAssertEqual(res.status, .notFound)
        }
    }

    func testThePublicResultsShowCountsAndMaskedTexts() async throws {
        try await withApp { app, _ in
            let first = try await makeCase(app, .accepted)
            let second = try await makeCase(app, .accepted)
            let applicant = try await makeApplicant(app)
            let service = EvaluationService(try CaseFactory(app: app).context(CaseFactory.actor(applicant)))
            _ = try await service.rateCase(
                try first.requireID(), ReviewSubmission(level: 1, reasons: ["tooSlow"], text: "请打我电话13800000001联系"), channel: .web)
            _ = try await service.rateCase(try second.requireID(), ReviewSubmission(level: 5, text: "很好"), channel: .mobile)
            let departmentFound = try await DepartmentRecord.query(on: app.db).filter(\.$creditCode == Fixtures.cityDepartment).first()
            let department = try XCTUnwrap(departmentFound)

            var res = try await call(app, .GET, "/evaluations")
            XCTAssertEqual(res.status, .ok, res.body.string)
            var html = res.body.string
            XCTAssertTrue(html.contains(department.name), html)
            XCTAssertTrue(html.contains("/evaluations/departments/\(Fixtures.cityDepartment)"))
            XCTAssertTrue(html.contains("60.0"), "the satisfaction index: (20 + 100) ÷ 2")
            XCTAssertTrue(html.contains("50.0%"), "the share of bad reviews")

            res = try await call(app, .GET, "/evaluations/departments/\(Fixtures.cityDepartment)")
            XCTAssertEqual(res.status, .ok, res.body.string)
            html = res.body.string
            XCTAssertTrue(html.contains(department.name))
            XCTAssertTrue(html.contains("<tr id=\"level-1\">"), html)
            let veryDissatisfied = try XCTUnwrap(html.range(of: "<tr id=\"level-1\">").map { String(html[$0.upperBound...].prefix(400)) })
            XCTAssertTrue(veryDissatisfied.contains("<td class=\"level-count\">1</td>"), veryDissatisfied)
            let satisfied = try XCTUnwrap(html.range(of: "<tr id=\"level-4\">").map { String(html[$0.upperBound...].prefix(400)) })
            XCTAssertTrue(satisfied.contains("<td class=\"level-count\">0</td>"), satisfied)
            XCTAssertTrue(html.contains("<meter"), "a bar per level")
            XCTAssertTrue(html.contains("请打我电话13*******01联系"), "six or more digits are masked")
            XCTAssertFalse(html.contains("13800000001"))
            XCTAssertFalse(html.contains("张明"), "nobody is named")
            XCTAssertTrue(html.contains("整改中（期限"), "the rectification's outcome")
            XCTAssertTrue(html.contains("/evaluations/items/\(foodCode)"), "the department's items")

            res = try await call(app, .GET, "/evaluations/items/\(foodCode)")
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertTrue(res.body.string.contains("很好"))

            res = try await call(app, .GET, "/evaluations/departments/91350100M000100Y43")
            XCTAssertEqual(res.status, .notFound)
            res = try await call(app, .GET, "/evaluations/items/NOSUCHITEM")
            XCTAssertEqual(res.status, .notFound)
            res = try await call(app, .GET, "/evaluations/departments/\(Fixtures.cityDepartment)?from=yesterday")
            XCTAssertEqual(res.status, .badRequest)
        }
    }

    func testThePrintedReceiptAndDecisionCarryTheLinkAsAQRCode() async throws {
        try await withApp { app, _ in
            let accepted = try await makeCase(app, .accepted).requireID()
            var browser = try await BrowserSession.signIn(app, account: citizenID, password: strongPassword)
            var res = try await browser.get(app, "/cases/\(accepted)/print/receipt")
            XCTAssertEqual(res.status, .ok, res.body.string)
            var html = res.body.string
            let receiptLink = "http://localhost:8080/e/" + EvaluationService.token(caseID: accepted, stage: .acceptance, keys: try app.keyRing) + "?via=qr"
            XCTAssertTrue(html.contains("扫码评价本次服务（好差评）"), html)
            XCTAssertTrue(html.contains(receiptLink), "the link written out")
            XCTAssertTrue(html.contains("<svg"), "the QR code")

            // The decision is printed before delivery: the print opens the link it carries.
            let approved = try await makeCase(app, .approved).requireID()
            res = try await browser.get(app, "/cases/\(approved)/print/decision")
            XCTAssertEqual(res.status, .ok, res.body.string)
            html = res.body.string
            let token = EvaluationService.token(caseID: approved, stage: .conclusion, keys: try app.keyRing)
            XCTAssertTrue(html.contains("http://localhost:8080/e/\(token)?via=qr"), html)
            XCTAssertTrue(html.contains("<svg"))
            res = try await call(app, .GET, "/e/\(token)?via=qr")
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertTrue(res.body.string.contains("办结环节"), res.body.string)

            // The correction notice carries none.
            res = try await browser.get(app, "/cases/\(accepted)/print/correction")
            XCTAssertFalse(res.body.string.contains("扫码评价本次服务"))
        }
    }
}
