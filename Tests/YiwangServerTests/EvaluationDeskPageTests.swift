import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

/// The 好差评 pages staff use: the rectification loop of a bad review (核实分类 → 答复 → 回访),
/// the supervisor's appeal decision, scoping, the hotline's phone ratings and the window's visits.
final class EvaluationDeskPageTests: XCTestCase {
    let supervisorGrants = [Grant(role: .supervisor, scope: .everywhere)]
    let districtApprover = [Grant(role: .approver, scope: Scope(departmentCreditCode: Fixtures.districtDepartment))]
    let hotlineGrants = [Grant(role: .hotlineOperator, scope: .everywhere)]

    /// An accepted online case rated 非常不满意 by its applicant (张明), which opens a rectification.
    func badReview(_ app: Application) async throws -> (CaseRecord, ReviewRecord, RectificationRecord) {
        let record = try await makeCase(app, .accepted)
        let applicant = try await makeApplicant(app)
        let ctx = try CaseFactory(app: app).context(CaseFactory.actor(applicant))
        let review = try await EvaluationService(ctx).rateCase(
            try record.requireID(), ReviewSubmission(level: 1, reasons: ["tooSlow"], text: "等了很久没有消息"), channel: .web)
        let rectification = try await RectificationRecord.query(on: app.db).filter(\.$reviewID == review.requireID()).first()
        return (record, review, try XCTUnwrap(rectification))
    }

    func staff(_ app: Application, _ account: String, _ grants: [Grant]) async throws -> BrowserSession {
        try await staffToken(app, account, grants)
        return try await BrowserSession.signIn(app, at: "/admin/login", account: account, password: testPassword, landing: "/admin")
    }

    func totals(_ app: Application) async throws -> Tally {
        let period = try StatisticsPeriod(from: LocalDate("2026-11-01"), to: LocalDate("2026-12-31"))
        return try await StatisticsLedger.sums(period, by: .total, filter: .init(), on: app.db)[""]?.tally ?? Tally()
    }

    func testABadReviewIsHandledToTheEndThroughThePages() async throws {
        try await withApp { app, _ in
            // setup
            let (record, review, rectification) = try await badReview(app)
            let id = try rectification.requireID().uuidString
            var admin = try await staff(app, "market.admin", cityMarketAdmin)

            // act, check: the list shows it with its deadline's colour; the page reveals the reviewer, on the trail.
            var res = try await admin.get(app, "/admin/rectifications")
            XCTAssertEqual(res.status, .ok, res.body.string)
            var html = res.body.string
            XCTAssertTrue(html.contains("/admin/rectifications/\(id)"), html)
            XCTAssertTrue(html.contains("urgency-green"), "15 working days away")
            XCTAssertTrue(html.contains("待核实"))
            XCTAssertTrue(html.contains("href=\"/admin/rectifications\">差评整改</a>"), "the nav links the page")

            res = try await admin.get(app, "/admin/rectifications/\(id)")
            XCTAssertEqual(res.status, .ok, res.body.string)
            html = res.body.string
            XCTAssertTrue(html.contains("张明"), "the department administrator sees who to call back")
            XCTAssertTrue(html.contains("138****0001"), "with the phone masked")
            XCTAssertFalse(html.contains("13800000001"))
            XCTAssertTrue(html.contains("等了很久没有消息"))
            XCTAssertTrue(html.contains("id=\"form-verify\""))
            XCTAssertFalse(html.contains("id=\"form-reply\""), "only the next step is offered")
            let reveals = try await AuditEventRecord.query(on: app.db).filter(\.$action == "review.revealReviewer")
                .filter(\.$subjectID == review.requireID().uuidString).count()
            XCTAssertEqual(reveals, 1)

            // A step without its classification is refused with the message and what was typed.
            res = try await admin.post(app, "/admin/rectifications/\(id)/actions", ["action": "verify", "text": "已调阅办件记录"])
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            XCTAssertTrue(res.body.string.contains("请选择处理方式"), res.body.string)
            XCTAssertTrue(res.body.string.contains("已调阅办件记录"), "the text is kept")
            res = try await admin.post(app, "/admin/rectifications/\(id)/actions", ["action": "reply", "text": "跳过核实"])
            XCTAssertEqual(res.status, .conflict, "not the step allowed now")

            res = try await admin.post(app, "/admin/rectifications/\(id)/actions", ["action": "verify", "kind": "immediate", "text": "已调阅办件记录，确有延误"])
            XCTAssertEqual(res.status, .seeOther, res.body.string)
            XCTAssertEqual(res.headers.first(name: .location), "/admin/rectifications/\(id)?done=verify")
            res = try await admin.get(app, "/admin/rectifications/\(id)?done=verify")
            XCTAssertTrue(res.body.string.contains("已核实分类"))
            XCTAssertTrue(res.body.string.contains("立行立改"))
            XCTAssertTrue(res.body.string.contains("id=\"form-reply\""))

            res = try await admin.post(app, "/admin/rectifications/\(id)/actions", ["action": "reply", "text": "已督促承办人当日办理，向您致歉。"])
            XCTAssertEqual(res.status, .seeOther, res.body.string)
            res = try await admin.get(app, "/admin/rectifications/\(id)")
            XCTAssertTrue(res.body.string.contains("id=\"form-returnVisit\""))
            res = try await admin.post(app, "/admin/rectifications/\(id)/actions", ["action": "returnVisit", "reached": "true", "text": "评价人表示认可"])
            XCTAssertEqual(res.status, .seeOther, res.body.string)

            // check: closed on time, counted, and the whole timeline on the page.
            let foundClosed = try await RectificationRecord.find(rectification.requireID(), on: app.db)
            let closed = try XCTUnwrap(foundClosed)
            XCTAssertEqual(closed.state, .completed)
            XCTAssertEqual(closed.onTime, true)
            XCTAssertEqual(closed.kind, .immediate)
            XCTAssertEqual(closed.visitReached, true)
            let events = try await RectificationEventRecord.query(on: app.db).filter(\.$rectificationID == rectification.requireID()).count()
            XCTAssertEqual(events, 4, "opened, verified, replied, called back")
            let tally = try await totals(app)
            XCTAssertEqual(tally[.rectifiedOnTime], 1)
            XCTAssertEqual(tally[.rectifiedLate], 0)
            res = try await admin.get(app, "/admin/rectifications/\(id)")
            html = res.body.string
            XCTAssertTrue(html.contains("整改办结"))
            XCTAssertTrue(html.contains("（按期）"))
            XCTAssertTrue(html.contains("评价人表示认可"))
            XCTAssertFalse(html.contains("<form method=\"post\" action=\"/admin/rectifications/"), "no step is left")

            // The list of reviews: the case linked, the level in words, the reviewer masked.
            res = try await admin.get(app, "/admin/evaluations?bad=true")
            XCTAssertEqual(res.status, .ok, res.body.string)
            html = res.body.string
            XCTAssertTrue(html.contains("/admin/cases/\(try record.requireID().uuidString)"), html)
            XCTAssertTrue(html.contains(try XCTUnwrap(record.number)))
            XCTAssertTrue(html.contains("非常不满意"))
            XCTAssertTrue(html.contains("一事一评"))
            XCTAssertTrue(html.contains("办理时间长、超时未办结"), "the reason")
            XCTAssertTrue(html.contains("张*"))
            XCTAssertFalse(html.contains("张明"), "the list never names the reviewer")
            XCTAssertTrue(html.contains("/admin/rectifications/\(id)"))
            res = try await admin.get(app, "/admin/rectifications")
            XCTAssertTrue(res.body.string.contains("按期办结"), "the list says how it closed")
            res = try await admin.get(app, "/admin/evaluations?level=5")
            XCTAssertFalse(res.body.string.contains("/admin/rectifications/\(id)"), "filtered out")
            res = try await admin.get(app, "/admin/evaluations?level=9")
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertTrue(res.body.string.contains("评价等级应为"))
            res = try await admin.get(app, "/admin/rectifications?state=nonsense")
            XCTAssertEqual(res.status, .badRequest)
        }
    }

    func testAnOverdueRectificationIsRedAndClosedLate() async throws {
        try await withApp { app, clock in
            // setup: past the deadline (2026-12-11, 15 working days after 2026-11-22).
            let (_, _, rectification) = try await badReview(app)
            let id = try rectification.requireID().uuidString
            clock.advance(by: 22 * 86_400)
            var approver = try await staff(app, "approver", cityApprover)

            // act, check: red in the overdue list and on its page; closed late, counted late.
            var res = try await approver.get(app, "/admin/rectifications?overdue=true")
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertTrue(res.body.string.contains("/admin/rectifications/\(id)"), res.body.string)
            XCTAssertTrue(res.body.string.contains("urgency urgency-red"))
            XCTAssertTrue(res.body.string.contains("超期"))
            res = try await approver.get(app, "/admin/rectifications?state=replied")
            XCTAssertFalse(res.body.string.contains("/admin/rectifications/\(id)"), "filtered by state")
            for (action, extra) in [("verify", ["kind": "scheduled"]), ("reply", [:]), ("returnVisit", ["reached": "false"])] {
                res = try await approver.post(app, "/admin/rectifications/\(id)/actions", ["action": action, "text": "处理说明"].merging(extra) { $1 })
                XCTAssertEqual(res.status, .seeOther, "\(action): \(res.body.string)")
            }
            let foundClosed = try await RectificationRecord.find(rectification.requireID(), on: app.db)
            let closed = try XCTUnwrap(foundClosed)
            XCTAssertEqual(closed.onTime, false)
            XCTAssertEqual(closed.visitReached, false)
            let tally = try await totals(app)
            XCTAssertEqual(tally[.rectifiedLate], 1)
            XCTAssertEqual(tally[.rectifiedOnTime], 0)
            res = try await approver.get(app, "/admin/rectifications/\(id)")
            XCTAssertTrue(res.body.string.contains("（逾期）"), res.body.string)
            XCTAssertTrue(res.body.string.contains("未联系上评价人"))
            res = try await approver.get(app, "/admin/rectifications?overdue=true")
            XCTAssertFalse(res.body.string.contains("/admin/rectifications/\(id)"), "closed, no longer overdue")
        }
    }

    func testAnAppealIsDecidedOnTheSupervisorsPage() async throws {
        try await withApp { app, _ in
            // setup
            let (record, _, rectification) = try await badReview(app)
            let id = try rectification.requireID().uuidString
            var approver = try await staff(app, "approver", cityApprover)
            var supervisor = try await staff(app, "supervisor", supervisorGrants)

            // act: the department appeals; the approver sees the reviewer masked only (no reveal).
            var res = try await approver.get(app, "/admin/rectifications/\(id)")
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertFalse(res.body.string.contains("张明"))
            XCTAssertTrue(res.body.string.contains("张*"))
            res = try await approver.post(app, "/admin/rectifications/\(id)/actions", ["action": "verify", "kind": "appealMistaken", "text": "评价人误选了办件"])
            XCTAssertEqual(res.status, .seeOther, res.body.string)
            res = try await approver.get(app, "/admin/rectifications/\(id)")
            XCTAssertTrue(res.body.string.contains("id=\"awaiting-appeal\""), res.body.string)
            XCTAssertFalse(res.body.string.contains("id=\"form-decideAppeal\""))
            res = try await approver.post(app, "/admin/rectifications/\(id)/actions", ["action": "decideAppeal", "upheld": "true", "text": "自己说了算"])
            XCTAssertEqual(res.status, .forbidden, "a department never decides its own appeal")

            res = try await supervisor.get(app, "/admin/rectifications/\(id)")
            XCTAssertTrue(res.body.string.contains("id=\"form-decideAppeal\""), res.body.string)
            res = try await supervisor.post(app, "/admin/rectifications/\(id)/actions", ["action": "decideAppeal", "text": "经核查"])
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertTrue(res.body.string.contains("请选择申诉是否成立"), res.body.string)
            XCTAssertTrue(res.body.string.contains("经核查"), "the text is kept")
            res = try await supervisor.post(app, "/admin/rectifications/\(id)/actions", ["action": "decideAppeal", "upheld": "true", "text": "经核查，系误评"])
            XCTAssertEqual(res.status, .seeOther, res.body.string)

            // check: upheld, out of the statistics, still on the record and in the list.
            let foundDecided = try await RectificationRecord.find(rectification.requireID(), on: app.db)
            let decided = try XCTUnwrap(foundDecided)
            XCTAssertEqual(decided.state, .appealUpheld)
            let tally = try await totals(app)
            XCTAssertEqual(tally[.reviews(.veryDissatisfied)], 0)
            XCTAssertEqual(tally[.reviewsExcluded], 1)
            let reviews = try await ReviewRecord.query(on: app.db).count()
            XCTAssertEqual(reviews, 1, "the review stays")
            res = try await supervisor.get(app, "/admin/evaluations")
            let html = res.body.string
            XCTAssertTrue(html.contains(try XCTUnwrap(record.number)), html)
            XCTAssertTrue(html.contains("申诉成立"))
            XCTAssertTrue(html.contains("不计入统计"))
            res = try await supervisor.get(app, "/admin/rectifications?state=appealUpheld")
            XCTAssertTrue(res.body.string.contains("/admin/rectifications/\(id)"))
        }
    }

    func testAnApproverOfAnotherDepartmentFindsNothing() async throws {
        try await withApp { app, _ in
            let (record, _, rectification) = try await badReview(app)
            let id = try rectification.requireID().uuidString
            var other = try await staff(app, "district-approver", districtApprover)

            var res = try await other.get(app, "/admin/rectifications/\(id)")
            XCTAssertEqual(res.status, .notFound)
            res = try await other.post(app, "/admin/rectifications/\(id)/actions", ["action": "verify", "kind": "immediate", "text": "越权"])
            XCTAssertEqual(res.status, .notFound)
            res = try await other.get(app, "/admin/rectifications")
            XCTAssertEqual(res.status, .ok)
            XCTAssertFalse(res.body.string.contains(id))
            res = try await other.get(app, "/admin/evaluations")
            XCTAssertEqual(res.status, .ok)
            XCTAssertFalse(res.body.string.contains(try XCTUnwrap(record.number)))
            let untouched = try await RectificationRecord.find(rectification.requireID(), on: app.db)
            XCTAssertEqual(untouched?.state, .awaitingVerification)

            // Garbage ids are a 404 too; the signed-out are sent to sign in.
            res = try await other.get(app, "/admin/rectifications/not-a-uuid")
            XCTAssertEqual(res.status, .notFound)
            res = try await call(app, .GET, "/admin/rectifications/\(id)")
            XCTAssertEqual(res.status, .seeOther)
        }
    }

    func testTheHotlineRecordsAPhoneRating() async throws {
        try await withApp { app, _ in
            let record = try await makeCase(app, .accepted)
            let number = try XCTUnwrap(record.number)
            var hotline = try await staff(app, "hotline", hotlineGrants)

            var res = try await hotline.get(app, "/admin/evaluations/phone")
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertTrue(res.body.string.contains("href=\"/admin/evaluations/phone\">热线评价</a>"))
            XCTAssertFalse(res.body.string.contains("href=\"/admin/evaluations\">好差评</a>"), "the hotline does not read reviews")
            res = try await hotline.get(app, "/admin/evaluations/phone?caseNumber=\(number)")
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertTrue(res.body.string.contains("id=\"phone-form\""))
            XCTAssertTrue(res.body.string.contains("受理环节"), "the stage rated")
            XCTAssertTrue(res.body.string.contains("value=\"tooSlow\""), "the online set's reasons")
            res = try await hotline.get(app, "/admin/evaluations/phone?caseNumber=NOPE-1")
            XCTAssertEqual(res.status, .notFound)
            XCTAssertTrue(res.body.string.contains("未找到受理编号为 NOPE-1 的办件"))

            // A bad level without a reason is refused, the input kept.
            res = try await hotline.post(app, "/admin/evaluations/phone", ["caseNumber": number, "level": "2", "text": "电话里说太慢了"])
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            XCTAssertTrue(res.body.string.contains("须至少选择一项差评原因"), res.body.string)
            XCTAssertTrue(res.body.string.contains("电话里说太慢了"))
            XCTAssertTrue(res.body.string.contains("value=\"2\" required checked"), "the level kept")

            res = try await hotline.post(app, "/admin/evaluations/phone", ["caseNumber": number, "level": "2", "reasons[]": "tooSlow", "text": "电话里说太慢了"])
            XCTAssertEqual(res.status, .seeOther, res.body.string)
            res = try await hotline.get(app, try XCTUnwrap(res.headers.first(name: .location)))
            XCTAssertTrue(res.body.string.contains("id=\"phone-notice\""), res.body.string)
            XCTAssertTrue(res.body.string.contains("不满意"))

            let foundReview = try await ReviewRecord.query(on: app.db).first()
            let review = try XCTUnwrap(foundReview)
            XCTAssertEqual(review.channel, .phone)
            XCTAssertEqual(review.level, .dissatisfied)
            XCTAssertEqual(review.recordedBy, "hotline")
            XCTAssertEqual(review.caseID, record.id)
            let rectifications = try await RectificationRecord.query(on: app.db).count()
            XCTAssertEqual(rectifications, 1, "a bad review opens its rectification")

            // Once per stage: a second rating of the same stage is refused on the page.
            res = try await hotline.post(app, "/admin/evaluations/phone", ["caseNumber": number, "level": "5"])
            XCTAssertEqual(res.status, .conflict)
            XCTAssertTrue(res.body.string.contains("评价提交后不能修改"), res.body.string)

            // A clerk may not record phone ratings.
            var clerk = try await staff(app, "clerk", cityClerk)
            res = try await clerk.get(app, "/admin/evaluations/phone")
            XCTAssertEqual(res.status, .forbidden)
        }
    }

    func testVisitsStartAndEndFromTheWindowDesk() async throws {
        try await withApp { app, clock in
            // setup: a window of the clerk's department and one of another.
            try await HallWindowRecord(code: "A01", name: "综合窗口一", departmentCode: Fixtures.cityDepartment, regionCode: Fixtures.city, at: clock.now())
                .create(on: app.db)
            try await HallWindowRecord(code: "B01", name: "鼓楼窗口", departmentCode: Fixtures.districtDepartment, regionCode: Fixtures.district, at: clock.now())
                .create(on: app.db)
            let record = try await makeCase(app, .accepted)
            let applicant = try await makeApplicant(app)
            var clerk = try await staff(app, "clerk", cityClerk)

            // The only window of the clerk's department is chosen for them; the tablet's link is shown.
            var res = try await clerk.get(app, "/admin/window")
            XCTAssertEqual(res.status, .ok, res.body.string)
            var html = res.body.string
            XCTAssertTrue(html.contains("窗口接待（一次一评）"))
            XCTAssertTrue(html.contains("href=\"/hall/rate/A01\""), html)
            XCTAssertFalse(html.contains("B01"), "another department's window is not offered")
            XCTAssertTrue(html.contains("id=\"visit-start-form\""))

            // With the applicant found by the desk's lookup, the visit is theirs.
            res = try await clerk.post(app, "/admin/window/lookup", ["identifier": citizenID])
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertTrue(res.body.string.contains("name=\"applicant\" value=\"\(try applicant.requireID().uuidString)\""), res.body.string)
            res = try await clerk.post(app, "/admin/window/visits/start", ["window": "A01", "applicant": try applicant.requireID().uuidString])
            XCTAssertEqual(res.status, .ok, res.body.string)
            html = res.body.string
            XCTAssertTrue(html.contains("已开始接待"))
            XCTAssertTrue(html.contains("id=\"window-applicant\""), "the desk stays on the applicant")
            XCTAssertTrue(html.contains("id=\"visit-end-form\""))
            let foundOpen = try await WindowVisitRecord.query(on: app.db).filter(\.$endedAt == nil).first()
            let open = try XCTUnwrap(foundOpen)
            XCTAssertEqual(open.windowCode, "A01")
            XCTAssertEqual(open.applicantID, try applicant.requireID().uuidString)
            XCTAssertEqual(open.clerk, "clerk")

            res = try await clerk.get(app, "/admin/window")
            XCTAssertTrue(res.body.string.contains("正在接待"))

            // Ending it names the case handled; the tablet then offers it for rating.
            clock.advance(by: 300)
            res = try await clerk.post(app, "/admin/window/visits/end", ["caseNumbers": try XCTUnwrap(record.number) + "，"])
            XCTAssertEqual(res.status, .seeOther, res.body.string)
            XCTAssertEqual(res.headers.first(name: .location), "/admin/window?visit=ended")
            let foundEnded = try await WindowVisitRecord.find(open.requireID(), on: app.db)
            let ended = try XCTUnwrap(foundEnded)
            XCTAssertNotNil(ended.endedAt)
            XCTAssertEqual(ended.cases, [try record.requireID()])
            let (_, toRate, rated) = try await EvaluationService(try CaseFactory(app: app).context(.anonymous)).visitToRate(window: "A01", on: app.db)
            XCTAssertEqual(toRate?.id, open.id)
            XCTAssertFalse(rated)
            res = try await clerk.get(app, "/admin/window?visit=ended")
            XCTAssertTrue(res.body.string.contains("已结束接待"))
            XCTAssertTrue(res.body.string.contains("id=\"visit-idle\""))

            // Nothing open, an unknown number, another department's window: refused on the desk.
            res = try await clerk.post(app, "/admin/window/visits/end", [:])
            XCTAssertEqual(res.status, .conflict)
            XCTAssertTrue(res.body.string.contains("当前没有正在接待的办事人"), res.body.string)
            res = try await clerk.post(app, "/admin/window/visits/start", [:])
            XCTAssertEqual(res.status, .seeOther, "the session's window")
            res = try await clerk.post(app, "/admin/window/visits/end", ["caseNumbers": "NOPE-1"])
            XCTAssertEqual(res.status, .notFound)
            XCTAssertTrue(res.body.string.contains("NOPE-1"))
            res = try await clerk.post(app, "/admin/window/visits/window", ["window": "B01"])
            XCTAssertEqual(res.status, .notFound)
            res = try await clerk.post(app, "/admin/window/visits/start", ["window": "A01", "csrf": "forged"])
            XCTAssertEqual(res.status, .forbidden)
        }
    }
}
