import Fluent
import Foundation
import SQLKit
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

/// What the 好差评 tests share: the staff they act as, reviews given through the service, the
/// link an SMS carries, the hall's windows and the rectification steps.
enum ReviewKit {
    static let supervisor = [Grant(role: .supervisor, scope: .everywhere)]
    static let systemAdministrator = [Grant(role: .systemAdministrator, scope: .everywhere)]
    static let hotline = [Grant(role: .hotlineOperator, scope: .everywhere)]
    static let districtApprover = [Grant(role: .approver, scope: Scope(departmentCreditCode: Fixtures.districtDepartment))]
    static let districtClerk = [Grant(role: .windowClerk, scope: Scope(departmentCreditCode: Fixtures.districtDepartment))]

    typealias Review = EvaluationAPIController.ReviewView
    typealias Rectification = RectificationAPIController.RectificationView

    /// A fresh token for a staff account created earlier (tokens last eight hours; tests move the clock).
    static func signIn(_ app: Application, _ account: String) async throws -> String {
        try await applicantToken(app, account, password: testPassword)
    }

    /// The applicant rates their case through the service (as the case page and the API do).
    @discardableResult
    static func rate(
        _ app: Application, _ caseID: UUID, level: Int, reasons: [String] = [], text: String? = nil, channel: ReviewChannel = .web,
        applicant idNumber: String = citizenID
    ) async throws -> ReviewRecord {
        let applicant = try await makeApplicant(app, idNumber)
        let ctx = try CaseFactory(app: app).context(CaseFactory.actor(applicant))
        return try await EvaluationService(ctx).rateCase(caseID, ReviewSubmission(level: level, reasons: reasons, text: text), channel: channel)
    }

    /// The rectification a bad review opened.
    static func rectification(of review: ReviewRecord, _ app: Application, file: StaticString = #filePath, line: UInt = #line) async throws -> RectificationRecord {
        let found = try await RectificationRecord.query(on: app.db).filter(\.$reviewID == review.requireID()).first()
        return try XCTUnwrap(found, "a bad review opens a rectification", file: file, line: line)
    }

    /// The token of the rating link the SMS sent for this stage carries (`…/e/<token>`).
    static func invitationToken(_ app: Application, _ caseID: UUID, _ stage: ReviewStage, file: StaticString = #filePath, line: UInt = #line) async throws -> String {
        let sms = try await OutboxRecord.query(on: app.db).filter(\.$dedupeKey == "review-invitation:\(caseID.uuidString):\(stage.rawValue)").first()
        let message = try XCTUnwrap(sms, "the invitation SMS", file: file, line: line)
        XCTAssertEqual(message.channel, "sms", file: file, line: line)
        let range = try XCTUnwrap(message.body.range(of: "/e/[A-Za-z0-9_-]+", options: .regularExpression), message.body, file: file, line: line)
        return String(message.body[range].dropFirst(3))
    }

    /// A hall window of a department.
    @discardableResult
    static func window(_ app: Application, _ code: String, department: String = Fixtures.cityDepartment, region: String = Fixtures.city) async throws -> HallWindowRecord {
        let window = HallWindowRecord(code: code, name: "综合窗口\(code)", departmentCode: department, regionCode: region, at: app.timeSource.now())
        try await window.create(on: app.db)
        return window
    }

    /// `POST /api/v1/rectifications/{id}/transitions`, as it answers.
    static func step(
        _ app: Application, _ id: UUID, _ action: String, kind: String? = nil, text: String? = "已处理", reached: Bool? = nil, upheld: Bool? = nil,
        token: String
    ) async throws -> XCTHTTPResponse {
        try await call(
            app, .POST, "/api/v1/rectifications/\(id)/transitions", token: token,
            json: RectificationAPIController.TransitionBody(action: action, kind: kind, text: text, reached: reached, upheld: upheld))
    }

    /// Takes a step and checks where the rectification lands.
    @discardableResult
    static func expectStep(
        _ app: Application, _ id: UUID, _ action: String, kind: String? = nil, text: String = "已处理", reached: Bool? = nil, upheld: Bool? = nil,
        token: String, becomes state: RectificationState, file: StaticString = #filePath, line: UInt = #line
    ) async throws -> Rectification {
        let res = try await step(app, id, action, kind: kind, text: text, reached: reached, upheld: upheld, token: token)
        XCTAssertEqual(res.status, .ok, res.body.string, file: file, line: line)
        let view = try res.content.decode(Rectification.self)
        XCTAssertEqual(view.state, state.rawValue, file: file, line: line)
        return view
    }

    /// One step through the runner as a staff actor (no HTTP), for tests that build many.
    static func runStep(_ app: Application, _ id: UUID, _ command: RectificationCommand, as account: String, _ grants: [Grant]) async throws {
        let ctx = try CaseFactory(app: app).context(.staff(account: account, grants: grants))
        _ = try await ctx.run(RectificationStep(), RectificationStep.Command(id: id, step: command))
    }

    /// `POST /api/v1/cases/{id}/evaluations`, as it answers.
    static func post(_ app: Application, _ caseID: UUID, level: Int?, reasons: [String]? = nil, text: String? = nil, channel: String? = nil, token: String) async throws -> XCTHTTPResponse {
        try await call(
            app, .POST, "/api/v1/cases/\(caseID)/evaluations", token: token,
            json: EvaluationAPIController.SubmissionBody(level: level, answers: nil, reasons: reasons, text: text, channel: channel))
    }

    /// The totals of the published statistics for a period (anyone may read them).
    static func totals(_ app: Application, from: String, to: String) async throws -> Indicators {
        let res = try await call(app, .GET, "/api/v1/statistics?from=\(from)&to=\(to)")
        XCTAssertEqual(res.status, .ok, res.body.string)
        return try res.content.decode(StatisticsService.Report.self).total
    }

    /// Moves an accepted case on to delivery (approved, certificate made, handed out).
    static func deliver(_ app: Application, _ caseID: UUID) async throws {
        let factory = CaseFactory(app: app)
        let applicant = try await makeApplicant(app)
        try await factory.step(.approve, on: caseID, by: .approver, for: applicant)
        try await factory.step(.issueCertificate, on: caseID, by: .approver, for: applicant)
        try await factory.step(.deliver, on: caseID, by: .clerk, for: applicant)
    }
}

final class EvaluationAPITests: XCTestCase {
    typealias Review = ReviewKit.Review

    // MARK: 一事一评

    func testACaseIsRatedOncePerStageByItsOwnApplicantOnly() async throws {
        try await withApp { app, _ in
            // setup
            let (citizen, stranger) = try await citizenAndStranger(app)
            let clerk = try await staffToken(app, "clerk", cityClerk)
            let submitted = try await makeCase(app, .submitted).requireID()
            let record = try await makeCase(app, .accepted)
            let id = try record.requireID()

            // act, check: nothing to rate before acceptance.
            var res = try await ReviewKit.post(app, submitted, level: 5, token: citizen)
            XCTAssertEqual(res.status, .conflict, res.body.string)
            XCTAssertEqual(try problem(res).code, "review.not_open")
            // Someone else's case, or a member of staff: as if it did not exist.
            for token in [stranger, clerk] {
                res = try await ReviewKit.post(app, id, level: 5, token: token)
                XCTAssertEqual(res.status, .notFound, res.body.string)
                XCTAssertEqual(try problem(res).code, "case.not_found")
            }
            res = try await ReviewKit.post(app, UUID(), level: 5, token: citizen)
            XCTAssertEqual(res.status, .notFound)
            // A bad submission names its fields.
            res = try await ReviewKit.post(app, id, level: nil, token: citizen)
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertEqual(try problem(res).code, "review.invalid")
            XCTAssertEqual(try problem(res).errors?.map(\.field), ["level"])
            res = try await ReviewKit.post(app, id, level: 1, token: citizen)
            XCTAssertEqual(try problem(res).errors?.map(\.field), ["reasons"], "a bad review names a reason")
            res = try await ReviewKit.post(app, id, level: 5, channel: "phone", token: citizen)
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertEqual(try problem(res).code, "review.channel_invalid", "the applicant cannot claim the hotline's channel")
            var stored = try await ReviewRecord.query(on: app.db).count()
            XCTAssertEqual(stored, 0, "nothing stored by a refusal")

            res = try await ReviewKit.post(app, id, level: 5, text: "受理很快", channel: "mobile", token: citizen)
            XCTAssertEqual(res.status, .created, res.body.string)
            let first = try res.content.decode(Review.self)
            XCTAssertEqual(res.headers.first(name: .location), "/api/v1/evaluations/\(first.id)")
            XCTAssertEqual(first.stage, "acceptance")
            XCTAssertEqual(first.kind, "caseStage")
            XCTAssertEqual(first.channel, "mobile")
            XCTAssertEqual(first.channelCode, 2)
            XCTAssertEqual(first.level, 5)
            XCTAssertEqual(first.levelName, "非常满意")
            XCTAssertEqual(first.questionSet, "online-2020")
            XCTAssertEqual(first.caseNumber, record.number)
            XCTAssertEqual(first.reviewer, "张明", "the reviewer sees their own name")
            XCTAssertNil(first.rectificationID, "a good review opens nothing")

            // 一事一评: the same stage again is refused, through any door.
            res = try await ReviewKit.post(app, id, level: 4, token: citizen)
            XCTAssertEqual(res.status, .conflict)
            XCTAssertEqual(try problem(res).code, "review.already_given")
            res = try await call(app, .POST, "/api/v1/evaluations/phone", token: try await staffToken(app, "hotline", ReviewKit.hotline),
                                 json: EvaluationAPIController.PhoneBody(caseNumber: record.number ?? "", level: 3))
            XCTAssertEqual(try problem(res).code, "review.already_given")
            let link = try await ReviewKit.invitationToken(app, id, .acceptance)
            res = try await call(app, .POST, "/api/v1/evaluation-links/\(link)", json: EvaluationAPIController.SubmissionBody(level: 3))
            XCTAssertEqual(try problem(res).code, "review.already_given")
            stored = try await ReviewRecord.query(on: app.db).count()
            XCTAssertEqual(stored, 1)

            // Once the result is delivered, the conclusion is rated once more (补评), linked to the first.
            try await ReviewKit.deliver(app, id)
            res = try await ReviewKit.post(app, id, level: 4, token: citizen)
            XCTAssertEqual(res.status, .created, res.body.string)
            let second = try res.content.decode(Review.self)
            XCTAssertEqual(second.stage, "conclusion")
            XCTAssertEqual(second.follows, first.id)
            XCTAssertEqual(second.channel, "web", "the default channel")
            res = try await ReviewKit.post(app, id, level: 4, token: citizen)
            XCTAssertEqual(try problem(res).code, "review.already_given")

            res = try await call(app, .GET, "/api/v1/cases/\(id)/evaluations", token: citizen)
            XCTAssertEqual(res.status, .ok)
            XCTAssertEqual(try res.content.decode([Review].self).map(\.stage), ["acceptance", "conclusion"])
            res = try await call(app, .GET, "/api/v1/cases/\(id)/evaluations", token: stranger)
            XCTAssertEqual(res.status, .notFound)
            let submits = try await auditCount(app, "review.submit")
            XCTAssertEqual(submits, 2)
        }
    }

    // MARK: Immutability

    func testACaseNeverAcceptedCannotBeRatedEvenOnceArchived() async throws {
        try await withApp { app, _ in
            // setup: a submission withdrawn before acceptance, then archived by the platform.
            let (citizen, _) = try await citizenAndStranger(app)
            let id = try await makeCase(app, .submitted).requireID()
            let applicant = try await makeApplicant(app)
            let own = CaseFactory.actor(applicant)
            _ = try await CaseService(try DomainContext(app: app, actor: own, audit: CaseFactory.audit(own))).perform(.withdraw, reason: nil, on: id)
            _ = try await CaseService(try .platform(app, job: "archive")).perform(.archive, reason: nil, on: id)

            // act
            let res = try await ReviewKit.post(app, id, level: 5, token: citizen)

            // check: no service was given, so there is nothing to rate and nothing is counted.
            XCTAssertEqual(res.status, .conflict, res.body.string)
            XCTAssertEqual(try problem(res).code, "review.not_open")
            let reviews = try await ReviewRecord.query(on: app.db).count()
            XCTAssertEqual(reviews, 0)
        }
    }

    func testNoOneCanChangeOrRemoveAReviewNotEvenTheDatabase() async throws {
        try await withApp { app, _ in
            // setup
            let citizen = try await citizenAndStranger(app).citizen
            let id = try await makeCase(app, .accepted).requireID()
            let res = try await ReviewKit.post(app, id, level: 2, reasons: ["tooSlow"], text: "等了很久", token: citizen)
            XCTAssertEqual(res.status, .created, res.body.string)
            let reviewID = try res.content.decode(Review.self).id
            let supervisor = try await staffToken(app, "supervisor", ReviewKit.supervisor)
            let admin = try await staffToken(app, "sysadmin", ReviewKit.systemAdministrator)
            let marketAdmin = try await staffToken(app, "market.admin", cityMarketAdmin)

            // act, check: every method that would change it answers 405, whoever asks.
            for token in [supervisor, admin, marketAdmin, citizen, nil] as [String?] {
                for method in [HTTPMethod.PUT, .PATCH, .DELETE] {
                    let answer = try await call(
                        app, method, "/api/v1/evaluations/\(reviewID)", token: token, json: EvaluationAPIController.SubmissionBody(level: 5, text: "改成好评"))
                    XCTAssertEqual(answer.status, .methodNotAllowed, "\(method) \(token == nil ? "anonymous" : "")")
                    XCTAssertEqual(try problem(answer).code, "review.immutable")
                    XCTAssertEqual(answer.headers.first(name: .allow), "GET, HEAD", "a 405 says what is allowed")
                }
            }
            // Not even on an id that does not exist (nothing to learn by trying).
            let unknown = try await call(app, .DELETE, "/api/v1/evaluations/\(UUID())", token: supervisor)
            XCTAssertEqual(unknown.status, .methodNotAllowed)

            // The database itself refuses: a trigger stops UPDATE and DELETE, with or without a WHERE.
            let sql = try XCTUnwrap(app.db as? any SQLDatabase)
            let attempts: [SQLQueryString] = [
                "UPDATE reviews SET level = 5, text = '改成好评' WHERE id = \(bind: reviewID)",
                "UPDATE reviews SET reviewer_id = NULL",
                "DELETE FROM reviews WHERE id = \(bind: reviewID)",
                "DELETE FROM reviews",
            ]
            for attempt in attempts {
                do {
                    try await sql.raw(attempt).run()
                    XCTFail("the database accepted: \(attempt)")
                } catch {
                    XCTAssertTrue(String(reflecting: error).contains("append-only") || String(reflecting: error).lowercased().contains("review"), String(reflecting: error))
                }
            }
            // Nor through the models.
            let record = try await XCTUnwrapAsync(try await ReviewRecord.find(reviewID, on: app.db))
            record.levelRaw = 5
            record.text = "改成好评"
            do {
                try await record.save(on: app.db)
                XCTFail("saved a change to a review")
            } catch {}
            do {
                try await ReviewRecord.query(on: app.db).filter(\.$id == reviewID).delete()
                XCTFail("deleted a review")
            } catch {}

            // The review is as given.
            let after = try await XCTUnwrapAsync(try await ReviewRecord.find(reviewID, on: app.db))
            XCTAssertEqual(after.levelRaw, 2)
            XCTAssertEqual(after.text, "等了很久")
            XCTAssertNotNil(after.reviewerID)
            let count = try await ReviewRecord.query(on: app.db).count()
            XCTAssertEqual(count, 1)
            let shown = try await call(app, .GET, "/api/v1/evaluations/\(reviewID)", token: citizen)
            XCTAssertEqual(try shown.content.decode(Review.self).level, 2)
        }
    }

    // MARK: The SMS link

    func testTheSMSLinkRatesOnceWithoutSigningInAndThenNeverAgain() async throws {
        try await withApp { app, clock in
            // setup: accepting sends the SMS with the link.
            let record = try await makeCase(app, .accepted)
            let id = try record.requireID()
            let invitations = try await OutboxRecord.query(on: app.db).all().filter { $0.dedupeKey.hasPrefix("review-invitation:") }
            XCTAssertEqual(invitations.map(\.dedupeKey), ["review-invitation:\(id.uuidString):acceptance"])
            XCTAssertEqual(invitations.first?.recipient, "applicant:" + record.applicantID)
            let token = try await ReviewKit.invitationToken(app, id, .acceptance)
            XCTAssertGreaterThanOrEqual(token.count, 16)
            let stored = try await ReviewInvitationRecord.query(on: app.db).all()
            XCTAssertEqual(stored.count, 1)
            XCTAssertNotEqual(stored.first?.id, token, "only the token's hash is kept")

            // act, check: the link shows what it rates, naming no one.
            var res = try await call(app, .GET, "/api/v1/evaluation-links/\(token)")
            XCTAssertEqual(res.status, .ok, res.body.string)
            let link = try res.content.decode(EvaluationAPIController.LinkView.self)
            XCTAssertEqual(link.caseNumber, record.number)
            XCTAssertEqual(link.stage, "acceptance")
            XCTAssertEqual(link.questionSet.version, "online-2020")
            XCTAssertFalse(res.body.string.contains("张明"))
            XCTAssertFalse(res.body.string.contains(citizenID))

            res = try await call(app, .POST, "/api/v1/evaluation-links/\(token)", json: EvaluationAPIController.SubmissionBody(level: 4, text: "很方便"))
            XCTAssertEqual(res.status, .created, res.body.string)
            let review = try res.content.decode(Review.self)
            XCTAssertEqual(review.channel, "sms")
            XCTAssertEqual(review.stage, "acceptance")
            XCTAssertNil(review.reviewer, "whoever holds the link is not told who the reviewer is")
            let saved = try await XCTUnwrapAsync(try await ReviewRecord.find(review.id, on: app.db))
            XCTAssertEqual(saved.reviewerID, record.applicantID, "but the review is the applicant's")

            // Used once: a second rating, or even a look, is refused.
            res = try await call(app, .POST, "/api/v1/evaluation-links/\(token)", json: EvaluationAPIController.SubmissionBody(level: 1, reasons: ["tooSlow"]))
            XCTAssertEqual(res.status, .conflict)
            XCTAssertEqual(try problem(res).code, "review.link_used")
            res = try await call(app, .GET, "/api/v1/evaluation-links/\(token)")
            XCTAssertEqual(try problem(res).code, "review.link_used")
            let count = try await ReviewRecord.query(on: app.db).count()
            XCTAssertEqual(count, 1)
            let used = try await ReviewInvitationRecord.query(on: app.db).first()
            XCTAssertNotNil(used?.usedAt)
            // The applicant, signed in, finds the stage rated.
            let citizen = try await applicantToken(app, citizenID)
            res = try await ReviewKit.post(app, id, level: 5, token: citizen)
            XCTAssertEqual(try problem(res).code, "review.already_given")

            // Unknown and malformed links.
            for garbage in ["nope", String(repeating: "A", count: 32), "AAAAAAAAAAAAAAAAAAAA%2E%2E", String(repeating: "b", count: 65)] {
                res = try await call(app, .POST, "/api/v1/evaluation-links/\(garbage)", json: EvaluationAPIController.SubmissionBody(level: 5))
                XCTAssertEqual(res.status, .notFound, garbage)
                XCTAssertEqual(try problem(res).code, "review.link_unknown", garbage)
            }

            // Through the QR code on the receipt: the same link, channel 二维码.
            let second = try await makeCase(app, .accepted).requireID()
            let qr = try await ReviewKit.invitationToken(app, second, .acceptance)
            res = try await call(app, .POST, "/api/v1/evaluation-links/\(qr)", json: EvaluationAPIController.SubmissionBody(level: 5, channel: "qrCode"))
            XCTAssertEqual(try res.content.decode(Review.self).channel, "qrCode")

            // A link expires after reviewLinkDays.
            let third = try await makeCase(app, .accepted).requireID()
            let late = try await ReviewKit.invitationToken(app, third, .acceptance)
            clock.advance(by: TimeInterval(app.settings.reviewLinkDays * 86_400 - 60))
            res = try await call(app, .GET, "/api/v1/evaluation-links/\(late)")
            XCTAssertEqual(res.status, .ok, "a minute before it expires")
            clock.advance(by: 120)
            res = try await call(app, .POST, "/api/v1/evaluation-links/\(late)", json: EvaluationAPIController.SubmissionBody(level: 5))
            XCTAssertEqual(res.status, .conflict)
            XCTAssertEqual(try problem(res).code, "review.link_expired")
            let rated = try await ReviewRecord.query(on: app.db).filter(\.$caseID == third).count()
            XCTAssertEqual(rated, 0)
        }
    }

    func testTheLinkSentAtDeliveryRatesTheConclusion() async throws {
        try await withApp { app, _ in
            let id = try await makeCase(app, .accepted).requireID()
            try await ReviewKit.deliver(app, id)
            let token = try await ReviewKit.invitationToken(app, id, .conclusion)
            let first = try await ReviewKit.invitationToken(app, id, .acceptance)
            XCTAssertNotEqual(token, first, "one link per stage")
            let res = try await call(app, .POST, "/api/v1/evaluation-links/\(token)", json: EvaluationAPIController.SubmissionBody(level: 3))
            XCTAssertEqual(res.status, .created, res.body.string)
            XCTAssertEqual(try res.content.decode(Review.self).stage, "conclusion")
            // The acceptance's own link still rates the acceptance, once.
            let again = try await call(app, .POST, "/api/v1/evaluation-links/\(first)", json: EvaluationAPIController.SubmissionBody(level: 4))
            XCTAssertEqual(again.status, .created, again.body.string)
            XCTAssertEqual(try again.content.decode(Review.self).stage, "acceptance")
        }
    }

    // MARK: Bad reviews and their rectification

    /// A bad review on Monday 2026-09-28 is due fifteen working days later: over the National
    /// Day holiday and counting the 调休 Saturday 10-10, on Friday 2026-10-23.
    func testABadReviewOpensARectificationDueFifteenWorkingDaysLaterAcrossTheHoliday() async throws {
        try await withApp { app, clock in
            // setup
            clock.set(Fixtures.date("2026-09-28"))
            let id = try await makeCase(app, .accepted).requireID()
            let good = try await makeCase(app, .accepted).requireID()
            let citizen = try await applicantToken(app, citizenID)

            // act
            var res = try await ReviewKit.post(app, good, level: 4, token: citizen)
            XCTAssertEqual(res.status, .created)
            res = try await ReviewKit.post(app, id, level: 2, reasons: ["tooSlow", "guideUnclear"], text: "指南写的材料和窗口要的不一样", token: citizen)
            XCTAssertEqual(res.status, .created, res.body.string)
            let review = try res.content.decode(Review.self)

            // check
            XCTAssertTrue(review.isBad)
            XCTAssertEqual(review.reasons.map(\.code), ["tooSlow", "guideUnclear"])
            XCTAssertEqual(review.rectificationState, "awaitingVerification")
            let rectifications = try await RectificationRecord.query(on: app.db).all()
            XCTAssertEqual(rectifications.count, 1, "only the bad review opens one")
            let rectification = try XCTUnwrap(rectifications.first)
            XCTAssertEqual(rectification.reviewID, review.id)
            XCTAssertEqual(rectification.deadline, "2026-10-23")
            XCTAssertEqual(rectification.departmentCode, Fixtures.cityDepartment)
            XCTAssertEqual(rectification.state, .awaitingVerification)
            let events = try await RectificationEventRecord.query(on: app.db).filter(\.$rectificationID == rectification.requireID()).all()
            XCTAssertEqual(events.map(\.action), ["open"])
            XCTAssertTrue(events.first?.summary.contains("2026-10-23") ?? false)
            // The handling department is told, in its inbox, with the deadline.
            let notice = try await OutboxRecord.query(on: app.db).filter(\.$dedupeKey == "review:\(review.id.uuidString):department").first()
            XCTAssertEqual(notice?.recipient, "department:" + Fixtures.cityDepartment)
            XCTAssertEqual(notice?.channel, "inbox")
            XCTAssertTrue(notice?.body.contains("2026-10-23") ?? false, notice?.body ?? "")
            XCTAssertTrue(notice?.body.contains("办理时间长") ?? false, "with the reasons")

            // The department's list shows it, green for now; another department's approver does not see it.
            try await staffToken(app, "approver", cityApprover)
            try await staffToken(app, "district", ReviewKit.districtApprover)
            res = try await call(app, .GET, "/api/v1/rectifications", token: try await ReviewKit.signIn(app, "approver"))
            let listed = try res.content.decode([ReviewKit.Rectification].self)
            XCTAssertEqual(listed.map(\.id), [try rectification.requireID()])
            XCTAssertEqual(listed.first?.urgency, "green")
            res = try await call(app, .GET, "/api/v1/rectifications", token: try await ReviewKit.signIn(app, "district"))
            XCTAssertEqual(try res.content.decode([ReviewKit.Rectification].self).count, 0)
            res = try await call(app, .GET, "/api/v1/rectifications/\(rectification.requireID())", token: try await ReviewKit.signIn(app, "district"))
            XCTAssertEqual(res.status, .notFound)

            // Yellow on the 21st (two working days left), red on the 24th.
            clock.set(Fixtures.date("2026-10-21"))
            res = try await call(app, .GET, "/api/v1/rectifications/\(rectification.requireID())", token: try await ReviewKit.signIn(app, "approver"))
            XCTAssertEqual(try res.content.decode(ReviewKit.Rectification.self).urgency, "yellow")
            clock.set(Fixtures.date("2026-10-24"))
            res = try await call(app, .GET, "/api/v1/rectifications/\(rectification.requireID())", token: try await ReviewKit.signIn(app, "approver"))
            XCTAssertEqual(try res.content.decode(ReviewKit.Rectification.self).urgency, "red")
        }
    }

    func testTheDepartmentVerifiesRepliesAndCallsBackAndTheReviewerRatesTheOutcome() async throws {
        try await withApp { app, clock in
            // setup: a bad review on Sunday 2026-11-22, due Friday 2026-12-11.
            let citizen = try await citizenAndStranger(app).citizen
            let record = try await makeCase(app, .accepted)
            let id = try record.requireID()
            var res = try await ReviewKit.post(app, id, level: 1, reasons: ["tooSlow"], token: citizen)
            let review = try res.content.decode(Review.self)
            let rectification = try XCTUnwrap(review.rectificationID)
            let approver = try await staffToken(app, "approver", cityApprover)
            let clerk = try await staffToken(app, "clerk", cityClerk)
            let district = try await staffToken(app, "district", ReviewKit.districtApprover)

            // act, check: refusals first.
            res = try await ReviewKit.step(app, rectification, "verify", kind: "immediate", token: clerk)
            XCTAssertEqual(res.status, .forbidden, "a clerk reads bad reviews but does not handle them")
            res = try await ReviewKit.step(app, rectification, "verify", kind: "immediate", token: district)
            XCTAssertEqual(res.status, .notFound, "another department's")
            res = try await ReviewKit.step(app, rectification, "reply", token: approver)
            XCTAssertEqual(res.status, .conflict)
            XCTAssertEqual(try problem(res).code, "rectification.transition_not_allowed")
            res = try await ReviewKit.step(app, rectification, "verify", token: approver)
            XCTAssertEqual(try problem(res).code, "rectification.kind_required")
            res = try await ReviewKit.step(app, rectification, "verify", kind: "ignore", token: approver)
            XCTAssertEqual(try problem(res).code, "rectification.kind_invalid")
            res = try await ReviewKit.step(app, rectification, "forget", token: approver)
            XCTAssertEqual(try problem(res).code, "rectification.action_invalid")
            res = try await ReviewKit.step(app, rectification, "verify", kind: "scheduled", text: "  ", token: approver)
            XCTAssertEqual(try problem(res).code, "rectification.text_required")

            var view = try await ReviewKit.expectStep(app, rectification, "verify", kind: "scheduled", text: "审批超时属实", token: approver, becomes: .rectifying)
            XCTAssertEqual(view.kind, "scheduled")
            XCTAssertEqual(view.finding, "审批超时属实")
            XCTAssertEqual(view.deadline, "2026-12-11")
            view = try await ReviewKit.expectStep(app, rectification, "reply", text: "已督促审批并优化流程", token: approver, becomes: .replied)
            let replies = try await OutboxRecord.query(on: app.db).all().filter { $0.dedupeKey.hasPrefix("rectification:\(rectification.uuidString):reply:") }
            XCTAssertFalse(replies.isEmpty, "the reviewer is told the answer")
            XCTAssertTrue(replies.allSatisfy { $0.recipient == "applicant:" + record.applicantID })
            XCTAssertTrue(replies.allSatisfy { $0.body.contains("已督促审批并优化流程") })

            // Not yet closed: the reviewer cannot rate the outcome.
            res = try await call(app, .POST, "/api/v1/evaluations/\(review.id)/rectification-rating", token: citizen, json: EvaluationAPIController.RectificationRatingBody(level: 4))
            XCTAssertEqual(try problem(res).code, "review.rectification_open")

            // The return visit on Thursday 2026-12-10, before the deadline.
            clock.set(Fixtures.date("2026-12-10"))
            let fresh = try await ReviewKit.signIn(app, "approver")
            view = try await ReviewKit.expectStep(app, rectification, "returnVisit", text: "电话回访，评价人认可", reached: true, token: fresh, becomes: .completed)
            XCTAssertEqual(view.onTime, true)
            XCTAssertEqual(view.visitReached, true)
            XCTAssertEqual(view.closedOn, "2026-12-10")
            XCTAssertEqual(view.urgency, "none", "a closed loop has no colour")
            XCTAssertEqual(view.events?.map(\.action), ["open", "verify", "reply", "returnVisit"])
            XCTAssertEqual(view.events?.dropFirst().map(\.actor), ["approver", "approver", "approver"])
            res = try await ReviewKit.step(app, rectification, "returnVisit", text: "再次回访", token: fresh)
            XCTAssertEqual(try problem(res).code, "rectification.transition_not_allowed", "closed is closed")
            let trail = try await AuditEventRecord.query(on: app.db).filter(\.$subjectID == rectification.uuidString).all().map(\.action)
            XCTAssertEqual(trail, ["rectification.verify", "rectification.reply", "rectification.returnVisit"])

            // The statistics count it on the review's day as rectified on time.
            var figures = try await ReviewKit.totals(app, from: "2026-11-22", to: "2026-11-22")
            XCTAssertEqual(figures.badReviews, 1)
            XCTAssertEqual(figures.rectifiedOnTimeShare, 1)

            // The reviewer rates the outcome once; a stranger cannot; the rating is not a review of the service.
            let citizenNow = try await applicantToken(app, citizenID)
            let strangerNow = try await applicantToken(app, agentID)
            res = try await call(app, .POST, "/api/v1/evaluations/\(review.id)/rectification-rating", token: strangerNow, json: EvaluationAPIController.RectificationRatingBody(level: 4))
            XCTAssertEqual(res.status, .notFound)
            res = try await call(app, .POST, "/api/v1/evaluations/\(review.id)/rectification-rating", token: citizenNow, json: EvaluationAPIController.RectificationRatingBody(level: 5))
            XCTAssertEqual(try problem(res).code, "review.invalid", "满意, 基本满意 or 不满意")
            res = try await call(app, .POST, "/api/v1/evaluations/\(review.id)/rectification-rating", token: citizenNow, json: EvaluationAPIController.RectificationRatingBody(level: 4))
            XCTAssertEqual(res.status, .created, res.body.string)
            let rating = try res.content.decode(Review.self)
            XCTAssertEqual(rating.kind, "rectification")
            XCTAssertEqual(rating.follows, review.id)
            XCTAssertFalse(rating.isBad)
            res = try await call(app, .POST, "/api/v1/evaluations/\(review.id)/rectification-rating", token: citizenNow, json: EvaluationAPIController.RectificationRatingBody(level: 2))
            XCTAssertEqual(try problem(res).code, "review.already_given")
            figures = try await ReviewKit.totals(app, from: "2026-11-01", to: "2026-12-31")
            XCTAssertEqual(figures.reviews, 1, "a rating of the rectification is not counted as a review")
            let differences = try await StatisticsRecount.compare(on: app.db).differences
            XCTAssertEqual(differences, [])
        }
    }

    func testALateReturnVisitIsCountedAsRectifiedLate() async throws {
        try await withApp { app, clock in
            let id = try await makeCase(app, .accepted).requireID()
            let review = try await ReviewKit.rate(app, id, level: 2, reasons: ["other"])
            let rectification = try await ReviewKit.rectification(of: review, app).requireID()
            try await staffToken(app, "market.admin", cityMarketAdmin)
            for command in [RectificationCommand(action: .verify, kind: .explanation, text: "依法需现场核验"), .init(action: .reply, text: "已解释")] {
                try await ReviewKit.runStep(app, rectification, command, as: "market.admin", cityMarketAdmin)
            }
            clock.set(Fixtures.date("2026-12-14"))  // the Monday after the deadline
            let view = try await ReviewKit.expectStep(
                app, rectification, "returnVisit", text: "未接通", reached: false, token: try await ReviewKit.signIn(app, "market.admin"), becomes: .completed)
            XCTAssertEqual(view.onTime, false)
            XCTAssertEqual(view.visitReached, false)
            let figures = try await ReviewKit.totals(app, from: "2026-11-22", to: "2026-11-22")
            XCTAssertEqual(figures.badReviews, 1)
            XCTAssertEqual(figures.rectifiedOnTimeShare, 0, "late is not on time")
            // The reviewer may say they are not satisfied with the outcome (不满意), naming no reason.
            try await makeApplicant(app)
            let res = try await call(
                app, .POST, "/api/v1/evaluations/\(review.requireID())/rectification-rating", token: try await applicantToken(app, citizenID),
                json: EvaluationAPIController.RectificationRatingBody(level: 2, text: "还是没解决"))
            XCTAssertEqual(res.status, .created, res.body.string)
            XCTAssertEqual(try res.content.decode(Review.self).levelName, "不满意")
            let rectifications = try await RectificationRecord.query(on: app.db).count()
            XCTAssertEqual(rectifications, 1, "a rating of the rectification opens no rectification of its own")
            let differences = try await StatisticsRecount.compare(on: app.db).differences
            XCTAssertEqual(differences, [])
        }
    }

    // MARK: Appeals

    func testAnUpheldAppealLeavesTheStatisticsButTheReviewStaysOnRecord() async throws {
        try await withApp { app, _ in
            // setup: two bad reviews and a good one.
            let citizen = try await citizenAndStranger(app).citizen
            var reviews: [Review] = []
            for (level, reasons) in [(1, ["other"]), (2, ["tooSlow"]), (5, [])] {
                let id = try await makeCase(app, .accepted).requireID()
                let res = try await ReviewKit.post(app, id, level: level, reasons: reasons, token: citizen)
                XCTAssertEqual(res.status, .created, res.body.string)
                reviews.append(try res.content.decode(Review.self))
            }
            let (malicious, disputed) = (try XCTUnwrap(reviews[0].rectificationID), try XCTUnwrap(reviews[1].rectificationID))
            let approver = try await staffToken(app, "approver", cityApprover)
            let supervisor = try await staffToken(app, "supervisor", ReviewKit.supervisor)
            var figures = try await ReviewKit.totals(app, from: "2026-11-22", to: "2026-11-22")
            XCTAssertEqual(figures.reviewsByLevel, [1, 1, 0, 0, 1])

            // act: the department appeals; only a supervisor decides.
            try await ReviewKit.expectStep(app, malicious, "verify", kind: "appealMalicious", text: "评价人与办件无关，系恶意差评", token: approver, becomes: .appealed)
            var res = try await ReviewKit.step(app, malicious, "decideAppeal", text: "自己批准", upheld: true, token: approver)
            XCTAssertEqual(res.status, .forbidden, "the department does not decide its own appeal")
            res = try await ReviewKit.step(app, malicious, "decideAppeal", text: "复核", token: supervisor)
            XCTAssertEqual(try problem(res).code, "rectification.decision_required")
            res = try await ReviewKit.step(app, malicious, "reply", text: "答复", token: approver)
            XCTAssertEqual(try problem(res).code, "rectification.transition_not_allowed", "an appealed review waits for the decision")
            let upheld = try await ReviewKit.expectStep(
                app, malicious, "decideAppeal", text: "经核查录音，申诉成立", upheld: true, token: supervisor, becomes: .appealUpheld)
            XCTAssertEqual(upheld.appealDecision, "经核查录音，申诉成立")
            XCTAssertEqual(upheld.urgency, "none")
            res = try await ReviewKit.step(app, malicious, "decideAppeal", text: "再议", upheld: false, token: supervisor)
            XCTAssertEqual(try problem(res).code, "rectification.transition_not_allowed", "decided once")

            // check: out of the statistics…
            figures = try await ReviewKit.totals(app, from: "2026-11-22", to: "2026-11-22")
            XCTAssertEqual(figures.reviewsByLevel, [0, 1, 0, 0, 1])
            XCTAssertEqual(figures.reviews, 2)
            XCTAssertEqual(figures.badReviews, 1)
            XCTAssertEqual(figures.excludedReviews, 1)
            XCTAssertEqual(figures.satisfactionIndex, 70, "(40 + 100) / 2")
            // … but on record, for the reviewer and for staff.
            for token in [supervisor, approver, citizen] {
                res = try await call(app, .GET, "/api/v1/evaluations/\(reviews[0].id)", token: token)
                XCTAssertEqual(res.status, .ok, res.body.string)
                let kept = try res.content.decode(Review.self)
                XCTAssertEqual(kept.level, 1)
                XCTAssertEqual(kept.rectificationState, "appealUpheld")
            }
            let notice = try await OutboxRecord.query(on: app.db).filter(\.$dedupeKey == "rectification:\(malicious.uuidString):appeal").first()
            XCTAssertEqual(notice?.recipient, "department:" + Fixtures.cityDepartment)

            // A rejected appeal sends the department back to put it right, as 限期整改.
            try await ReviewKit.expectStep(app, disputed, "verify", kind: "appealMistaken", text: "评价人误选", token: approver, becomes: .appealed)
            let rejected = try await ReviewKit.expectStep(
                app, disputed, "decideAppeal", text: "办理确有超时，申诉不成立", upheld: false, token: supervisor, becomes: .rectifying)
            XCTAssertEqual(rejected.kind, "scheduled")
            XCTAssertEqual(rejected.deadline, "2026-12-11", "by the same deadline")
            try await ReviewKit.expectStep(app, disputed, "reply", text: "已整改", token: approver, becomes: .replied)
            figures = try await ReviewKit.totals(app, from: "2026-11-22", to: "2026-11-22")
            XCTAssertEqual(figures.reviewsByLevel, [0, 1, 0, 0, 1], "a rejected appeal changes nothing")
            let differences = try await StatisticsRecount.compare(on: app.db).differences
            XCTAssertEqual(differences, [])
        }
    }

    // MARK: The deadline watch

    func testTheWatchRaisesYellowThenRedOnAnOpenRectificationOnceEach() async throws {
        try await withApp { app, clock in
            // setup: two bad reviews on Sunday 2026-11-22, due Friday 2026-12-11; the second is closed at once.
            let open = try await ReviewKit.rectification(
                of: try await ReviewKit.rate(app, try await makeCase(app, .accepted).requireID(), level: 1, reasons: ["tooSlow"]), app
            ).requireID()
            let closed = try await ReviewKit.rectification(
                of: try await ReviewKit.rate(app, try await makeCase(app, .accepted).requireID(), level: 2, reasons: ["other"]), app
            ).requireID()
            for command in [
                RectificationCommand(action: .verify, kind: .immediate, text: "当场改正"), .init(action: .reply, text: "已改正"),
                .init(action: .returnVisit, text: "已回访"),
            ] {
                try await ReviewKit.runStep(app, closed, command, as: "approver", cityApprover)
            }

            // act, check
            var report = try await DeadlineWatch(app: app).runOnce()
            XCTAssertEqual([report.rectificationsWarned, report.rectificationsOverdue], [0, 0], "fifteen working days left")
            clock.set(Fixtures.date("2026-12-08"))  // three working days left
            report = try await DeadlineWatch(app: app).runOnce()
            XCTAssertEqual([report.rectificationsWarned, report.rectificationsOverdue], [0, 0])
            clock.set(Fixtures.date("2026-12-09"))  // two left: yellow
            report = try await DeadlineWatch(app: app).runOnce()
            XCTAssertEqual([report.rectificationsWarned, report.rectificationsOverdue], [1, 0])
            report = try await DeadlineWatch(app: app).runOnce()
            XCTAssertEqual([report.rectificationsWarned, report.rectificationsOverdue], [0, 0], "raised once")
            clock.set(Fixtures.date("2026-12-11"))
            report = try await DeadlineWatch(app: app).runOnce()
            XCTAssertEqual([report.rectificationsWarned, report.rectificationsOverdue], [0, 0], "the deadline day is still yellow")
            clock.set(Fixtures.date("2026-12-14"))  // the Monday after: red
            report = try await DeadlineWatch(app: app).runOnce()
            XCTAssertEqual([report.rectificationsWarned, report.rectificationsOverdue], [0, 1])
            report = try await DeadlineWatch(app: app).runOnce()
            XCTAssertEqual([report.rectificationsWarned, report.rectificationsOverdue], [0, 0], "raised once")

            let record = try await XCTUnwrapAsync(try await RectificationRecord.find(open, on: app.db))
            XCTAssertEqual(record.alertLevel, "red")
            let alerts = try await OutboxRecord.query(on: app.db).all().filter { $0.dedupeKey.hasPrefix("rectification:") && $0.dedupeKey.contains(":deadline:") }
            XCTAssertEqual(
                alerts.map(\.dedupeKey).sorted(), ["rectification:\(open.uuidString):deadline:red", "rectification:\(open.uuidString):deadline:yellow"],
                "nothing for the closed one")
            XCTAssertTrue(alerts.allSatisfy { $0.recipient == "department:" + Fixtures.cityDepartment && $0.channel == "inbox" })
            let trail = try await AuditEventRecord.query(on: app.db).filter(\.$subjectID == open.uuidString).all().map(\.action)
            XCTAssertEqual(trail, ["rectification.deadlineWarning", "rectification.deadlineOverdue"])

            // The overdue list shows it, red.
            try await staffToken(app, "reader", cityApprover)
            let res = try await call(app, .GET, "/api/v1/rectifications?overdue=true", token: try await ReviewKit.signIn(app, "reader"))
            let overdue = try res.content.decode([ReviewKit.Rectification].self)
            XCTAssertEqual(overdue.map(\.id), [open])
            XCTAssertEqual(overdue.first?.urgency, "red")
        }
    }

    // MARK: The hotline and the hall

    func testTheHotlineRecordsARatingSaidOnThePhone() async throws {
        try await withApp { app, _ in
            // setup
            let record = try await makeCase(app, .accepted)
            let hotline = try await staffToken(app, "hotline", ReviewKit.hotline)
            let clerk = try await staffToken(app, "clerk", cityClerk)
            let number = try XCTUnwrap(record.number)

            // act, check
            var res = try await call(app, .POST, "/api/v1/evaluations/phone", token: clerk, json: EvaluationAPIController.PhoneBody(caseNumber: number, level: 5))
            XCTAssertEqual(res.status, .forbidden, "only the hotline records phone ratings")
            res = try await call(app, .POST, "/api/v1/evaluations/phone", token: hotline, json: EvaluationAPIController.PhoneBody(caseNumber: "35010020260101" + "99999", level: 5))
            XCTAssertEqual(res.status, .notFound)
            XCTAssertEqual(try problem(res).code, "case.not_found")
            res = try await call(app, .POST, "/api/v1/evaluations/phone", token: hotline, json: EvaluationAPIController.PhoneBody(caseNumber: " \(number) ", level: 2, reasons: ["tooSlow"], text: "电话里说等太久"))
            XCTAssertEqual(res.status, .created, res.body.string)
            let review = try res.content.decode(Review.self)
            XCTAssertEqual(review.channel, "phone")
            XCTAssertEqual(review.channelName, "电话")
            XCTAssertEqual(review.channelCode, 6)
            XCTAssertEqual(review.recordedBy, "hotline")
            XCTAssertNotNil(review.rectificationID, "a bad rating on the phone is handled like any other")
            let stored = try await XCTUnwrapAsync(try await ReviewRecord.find(review.id, on: app.db))
            XCTAssertEqual(stored.channelRaw, "phone")
            XCTAssertEqual(stored.reviewerID, record.applicantID, "the applicant's review, written down by the operator")
            res = try await call(app, .POST, "/api/v1/evaluations/phone", token: hotline, json: EvaluationAPIController.PhoneBody(caseNumber: number, level: 4))
            XCTAssertEqual(try problem(res).code, "review.already_given")
        }
    }

    func testAWindowVisitIsRatedOnceOnTheTabletWhichNeverShowsTheVisitor() async throws {
        try await withApp { app, clock in
            // setup
            try await ReviewKit.window(app, "A01")
            let applicant = try await makeApplicant(app)
            let handled = try await makeCase(app, .atWindow, .accepted)
            let clerk = try await staffToken(app, "clerk", cityClerk)
            let approver = try await staffToken(app, "approver", cityApprover)
            let districtClerk = try await staffToken(app, "district.clerk", ReviewKit.districtClerk)
            let visitor = VisitBodyJSON(applicantID: try applicant.requireID().uuidString, caseNumbers: nil)

            // act, check: only the window's own clerks serve at it.
            var res = try await call(app, .POST, "/api/v1/hall/windows/A01/visits", token: approver, json: visitor)
            XCTAssertEqual(res.status, .forbidden)
            res = try await call(app, .POST, "/api/v1/hall/windows/A01/visits", token: districtClerk, json: visitor)
            XCTAssertEqual(res.status, .forbidden)
            res = try await call(app, .POST, "/api/v1/hall/windows/Z99/visits", token: clerk, json: visitor)
            XCTAssertEqual(try problem(res).code, "window.not_found")
            res = try await call(app, .GET, "/api/v1/hall/windows/A01/visit")
            XCTAssertEqual(res.status, .ok)
            XCTAssertNil(try res.content.decode(EvaluationAPIController.TabletView.self).visit, "nobody served yet")

            res = try await call(app, .POST, "/api/v1/hall/windows/a01/visits", token: clerk, json: visitor)
            XCTAssertEqual(res.status, .ok, res.body.string)
            let visit = try res.content.decode(EvaluationAPIController.VisitView.self)
            XCTAssertNil(visit.endedAt)
            XCTAssertEqual(visit.window, "A01")

            // The tablet shows the clerk and the visit, never who the visitor is.
            res = try await call(app, .GET, "/api/v1/hall/windows/A01/visit")
            let tablet = try res.content.decode(EvaluationAPIController.TabletView.self)
            XCTAssertEqual(tablet.visit?.id, visit.id)
            XCTAssertEqual(tablet.visit?.clerk, "clerk")
            XCTAssertEqual(tablet.questionSet.version, "inHall-2020")
            for secret in [try applicant.requireID().uuidString, "张明", citizenID, "13800000001"] {
                XCTAssertFalse(res.body.string.contains(secret), "the tablet shows \(secret)")
            }

            res = try await call(app, .POST, "/api/v1/hall/windows/A01/visits/end", token: clerk, json: VisitBodyJSON(applicantID: nil, caseNumbers: [handled.number ?? ""]))
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertNotNil(try res.content.decode(EvaluationAPIController.VisitView.self).endedAt)
            res = try await call(app, .POST, "/api/v1/hall/windows/A01/visits/end", token: clerk)
            XCTAssertEqual(try problem(res).code, "visit.none_open")

            // The visitor rates the visit just ended, once (一次一评).
            res = try await call(app, .POST, "/api/v1/hall/windows/A01/evaluations", json: TabletBodyJSON(visitID: UUID(), level: 5))
            XCTAssertEqual(try problem(res).code, "review.visit_closed", "not the visit on the tablet")
            res = try await call(app, .POST, "/api/v1/hall/windows/A01/evaluations", json: TabletBodyJSON(visitID: visit.id, level: 5, text: "态度很好"))
            XCTAssertEqual(res.status, .created, res.body.string)
            let review = try res.content.decode(Review.self)
            XCTAssertEqual(review.kind, "visit")
            XCTAssertEqual(review.channel, "hallTablet")
            XCTAssertEqual(review.visitID, visit.id)
            XCTAssertNil(review.caseID, "a tablet rating names no case: the tablet is open to anyone at it")
            XCTAssertEqual(review.itemCode, handled.itemCode, "the service rated is the case handled at the visit")
            XCTAssertEqual(review.questionSet, "inHall-2020")
            XCTAssertNil(review.reviewer, "the tablet is not told who rated")
            res = try await call(app, .POST, "/api/v1/hall/windows/A01/evaluations", json: TabletBodyJSON(visitID: visit.id, level: 1, reasons: ["longWait"]))
            XCTAssertEqual(res.status, .conflict)
            XCTAssertEqual(try problem(res).code, "review.already_given")
            res = try await call(app, .GET, "/api/v1/hall/windows/A01/visit")
            XCTAssertEqual(try res.content.decode(EvaluationAPIController.TabletView.self).visit?.rated, true)
            let stored = try await ReviewRecord.query(on: app.db).filter(\.$visitID == visit.id).all()
            XCTAssertEqual(stored.count, 1)
            XCTAssertNil(stored.first?.reviewerID, "nor the visitor: a rating on the tablet speaks for no one")
            _ = applicant

            // A visit ended long ago can no longer be rated from the tablet.
            res = try await call(app, .POST, "/api/v1/hall/windows/A01/visits", token: clerk, json: VisitBodyJSON(applicantID: nil, caseNumbers: nil))
            let later = try res.content.decode(EvaluationAPIController.VisitView.self)
            _ = try await call(app, .POST, "/api/v1/hall/windows/A01/visits/end", token: clerk)
            clock.advance(by: TimeInterval(app.settings.visitRatingMinutes * 60 + 60))
            res = try await call(app, .GET, "/api/v1/hall/windows/A01/visit")
            XCTAssertNil(try res.content.decode(EvaluationAPIController.TabletView.self).visit)
            res = try await call(app, .POST, "/api/v1/hall/windows/A01/evaluations", json: TabletBodyJSON(visitID: later.id, level: 3))
            XCTAssertEqual(try problem(res).code, "review.visit_closed")

            // A bad rating of a visit opens a rectification like any other (with the hall's reasons).
            let bad = try await call(app, .POST, "/api/v1/hall/windows/A01/visits", token: try await ReviewKit.signIn(app, "clerk"), json: VisitBodyJSON(applicantID: nil, caseNumbers: nil))
            let third = try bad.content.decode(EvaluationAPIController.VisitView.self)
            res = try await call(app, .POST, "/api/v1/hall/windows/A01/evaluations", json: TabletBodyJSON(visitID: third.id, level: 1, reasons: ["tooSlow"]))
            XCTAssertEqual(res.status, .created, "tooSlow is on the in-hall list too: \(res.body.string)")
            let rated = try res.content.decode(Review.self)
            XCTAssertEqual(rated.itemCode, "window:A01", "a visit with no case is rated as the window's service")
            XCTAssertNotNil(rated.rectificationID)
            res = try await call(app, .POST, "/api/v1/hall/windows/A01/evaluations", json: TabletBodyJSON(visitID: third.id, level: 1, reasons: ["interfaceUnfriendly"]))
            XCTAssertEqual(res.status, .conflict, "already rated")
        }
    }

    // MARK: Who may see the reviewer

    func testTheReviewersNameIsShownOnlyToThoseThePolicyAllowsAndEachLookIsAudited() async throws {
        try await withApp { app, _ in
            // setup
            let (citizen, stranger) = try await citizenAndStranger(app)
            let id = try await makeCase(app, .accepted).requireID()
            var res = try await ReviewKit.post(app, id, level: 2, reasons: ["tooSlow"], text: "我的电话13800000001", token: citizen)
            let reviewID = try res.content.decode(Review.self).id
            let approver = try await staffToken(app, "approver", cityApprover)
            let supervisor = try await staffToken(app, "supervisor", ReviewKit.supervisor)
            let marketAdmin = try await staffToken(app, "market.admin", cityMarketAdmin)
            let district = try await staffToken(app, "district", ReviewKit.districtApprover)
            func reveals() async throws -> Int {
                try await AuditEventRecord.query(on: app.db).filter(\.$action == "review.revealReviewer").filter(\.$subjectID == reviewID.uuidString).count()
            }

            // act, check
            res = try await call(app, .GET, "/api/v1/evaluations/\(reviewID)", token: approver)
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertEqual(try res.content.decode(Review.self).reviewer, "张*", "an approver sees the surname only")
            XCTAssertFalse(res.body.string.contains("张明"))
            var looks = try await reveals()
            XCTAssertEqual(looks, 0)

            res = try await call(app, .GET, "/api/v1/evaluations/\(reviewID)", token: supervisor)
            XCTAssertEqual(try res.content.decode(Review.self).reviewer, "张明")
            looks = try await reveals()
            XCTAssertEqual(looks, 1, "the supervisor's look is on the trail")
            let event = try await AuditEventRecord.query(on: app.db).filter(\.$action == "review.revealReviewer").first()
            XCTAssertEqual(event?.actor, "supervisor")

            res = try await call(app, .GET, "/api/v1/evaluations/\(reviewID)", token: marketAdmin)
            XCTAssertEqual(try res.content.decode(Review.self).reviewer, "张明", "the department's administrator calls the reviewer back")
            looks = try await reveals()
            XCTAssertEqual(looks, 2)

            res = try await call(app, .GET, "/api/v1/evaluations/\(reviewID)", token: citizen)
            XCTAssertEqual(try res.content.decode(Review.self).reviewer, "张明")
            looks = try await reveals()
            XCTAssertEqual(looks, 2, "the reviewer reading their own review is no look at someone else")

            for token in [district, stranger] {
                res = try await call(app, .GET, "/api/v1/evaluations/\(reviewID)", token: token)
                XCTAssertEqual(res.status, .notFound)
            }
            res = try await call(app, .GET, "/api/v1/evaluations/\(reviewID)")
            XCTAssertEqual(res.status, .unauthorized)

            // The staff list names reviewers the same way, within the reader's scope.
            res = try await call(app, .GET, "/api/v1/evaluations?bad=true", token: approver)
            let page = try res.content.decode(EvaluationAPIController.ReviewPage.self)
            XCTAssertEqual(page.total, 1)
            XCTAssertEqual(page.reviews.first?.reviewer, "张*")
            res = try await call(app, .GET, "/api/v1/evaluations", token: district)
            XCTAssertEqual(try res.content.decode(EvaluationAPIController.ReviewPage.self).total, 0)

            // The public results name no one and mask the phone in the text.
            res = try await call(app, .GET, "/api/v1/public/evaluations?department=\(Fixtures.cityDepartment)")
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertFalse(res.body.string.contains("张"), res.body.string)
            XCTAssertFalse(res.body.string.contains("13800000001"))
            XCTAssertTrue(res.body.string.contains("13*******01"), res.body.string)
        }
    }
}

/// The bodies of the hall's endpoints, as a client sends them.
struct VisitBodyJSON: Content {
    var applicantID: String?
    var caseNumbers: [String]?
}

struct TabletBodyJSON: Content {
    var visitID: UUID
    var level: Int?
    var reasons: [String]?
    var text: String?

    init(visitID: UUID, level: Int?, reasons: [String]? = nil, text: String? = nil) {
        self.visitID = visitID
        self.level = level
        self.reasons = reasons
        self.text = text
    }
}

/// `XCTUnwrap` of an awaited optional.
func XCTUnwrapAsync<T>(_ value: @autoclosure () async throws -> T?, file: StaticString = #filePath, line: UInt = #line) async throws -> T {
    let resolved = try await value()
    return try XCTUnwrap(resolved, file: file, line: line)
}
