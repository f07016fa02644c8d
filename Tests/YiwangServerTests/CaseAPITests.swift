import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

final class CaseAPITests: XCTestCase {
    func testAnOnlineApplicationGoesFromSubmissionThroughCorrectionToDecisionAndDelivery() async throws {
        try await withApp { app, _ in
            try await registerPerson(app)
            let citizen = try await applicantToken(app, citizenID)
            let clerk = try await staffToken(app, "clerk", cityClerk)
            let approver = try await staffToken(app, "approver", cityApprover)

            let created = try await postCase(app, token: citizen, key: "apply-1")
            XCTAssertEqual(created.status, .created, created.body.string)
            let view = try created.content.decode(CaseView.self)
            XCTAssertEqual(view.state, .submitted)
            XCTAssertEqual(view.allowedActions, [.withdraw])
            // A retry with the same key answers the same case; the same key for another request is refused.
            let retry = try await postCase(app, token: citizen, key: "apply-1")
            XCTAssertEqual(retry.status, .ok)
            XCTAssertEqual(try retry.content.decode(CaseView.self).id, view.id)
            let other = try await postCase(app, token: citizen, key: "apply-1", form: ["applicantName": .string("张明"), "businessKind": .string("热食类食品制售"), "hotFoodArea": .int(20)])
            XCTAssertEqual(other.status, .conflict)
            XCTAssertEqual(try problem(other).code, "case.idempotency_mismatch")
            let cases = try await CaseRecord.query(on: app.db).count()
            XCTAssertEqual(cases, 1)

            // One correction notice listing everything; the applicant resubmits; the clerk accepts.
            var res = try await move(app, view.id, .requestCorrection, token: clerk)
            XCTAssertEqual(try problem(res).code, "case.reason_required")
            try await expect(app, view.id, .requestCorrection, reason: "请补充：1. 食品安全管理制度；2. 场所平面图", token: clerk, becomes: .correctionRequested)
            // Accepting with the application form missing is refused, naming it.
            try await supplyMaterials(app, view.id, token: citizen, [3])
            try await expect(app, view.id, .submit, token: citizen, becomes: .preReview)
            res = try await move(app, view.id, .accept, token: clerk)
            XCTAssertEqual(try problem(res).code, "case.materials_missing")
            XCTAssertTrue(try problem(res).detail.contains("食品经营许可申请书"))
            res = try await move(app, view.id, .requestCorrection, reason: "请补交申请书", token: clerk)
            XCTAssertEqual(try res.content.decode(CaseView.self).missingMaterials, ["食品经营许可申请书"])
            try await supplyMaterials(app, view.id, token: citizen, [1])
            try await expect(app, view.id, .submit, token: citizen, becomes: .preReview)
            res = try await move(app, view.id, .accept, token: clerk)
            let accepted = try res.content.decode(CaseView.self)
            XCTAssertEqual(accepted.state, .accepted)
            XCTAssertEqual(accepted.number, "35010020261122" + "00001")
            XCTAssertEqual(accepted.deadline, "2026-11-27", "five working days after a Sunday acceptance")
            XCTAssertFalse(accepted.deadlineProvisional)

            // The back office reviews and decides; the window makes and hands out the result.
            try await expect(app, view.id, .review, token: approver, becomes: .underReview)
            try await expect(app, view.id, .approve, token: approver, becomes: .approved)
            try await expect(app, view.id, .issueCertificate, token: approver, becomes: .certificateIssued)
            try await expect(app, view.id, .deliver, token: clerk, becomes: .delivered)
            try await expect(app, view.id, .close, token: clerk, becomes: .closed)

            try await app.test(.GET, "/api/v1/cases/\(view.id)", headers: .bearer(citizen)) { res async throws in
                let final = try res.content.decode(CaseView.self)
                // Uploads and form edits are on the timeline too, without changing the state.
                XCTAssertEqual(
                    final.timeline.map(\.action),
                    ["submit", "requestCorrection", "supplyMaterial", "submit", "requestCorrection", "supplyMaterial", "submit", "accept", "review", "approve", "issueCertificate", "deliver", "close"])
                XCTAssertEqual(
                    final.timeline.map(\.state),
                    ["submitted", "correctionRequested", "correctionRequested", "preReview", "correctionRequested", "correctionRequested", "preReview", "accepted", "underReview", "approved", "certificateIssued", "delivered", "closed"])
                // The applicant sees roles, never staff account names.
                XCTAssertEqual(Set(final.timeline.map(\.actor)), ["申请人", "综合窗口人员", "后台审批人员"])
                XCTAssertEqual(final.timeline[1].reason, "请补充：1. 食品安全管理制度；2. 场所平面图；缺少材料：食品经营许可申请书、食品安全管理制度", "one notice lists every missing material")
                XCTAssertEqual(final.materials.map { $0.files.count }, [1, 0, 1])
                XCTAssertEqual(final.resultDocument, "3501002026112200001-证")
                XCTAssertEqual(final.allowedActions, [])
            }
            let outbox = try await OutboxRecord.query(on: app.db).all()
            XCTAssertEqual(
                outbox.count, 22,
                "three submissions, two corrections, accept, approve, deliver: inbox and SMS each; the department's inbox at each submission and at acceptance; the SMS inviting a rating at acceptance and at delivery")
            XCTAssertEqual(Set(outbox.map(\.dedupeKey)).count, 22)
            XCTAssertEqual(outbox.filter { $0.dedupeKey.hasPrefix("review-invitation:") }.map(\.channel), ["sms", "sms"])
            let verification = try await AuditTrail.verify(on: app.db)
            XCTAssertTrue(verification.intact)
            let actions = try await AuditEventRecord.query(on: app.db).filter(\.$subjectID == view.id.uuidString).sort(\.$id).all().map(\.action)
            XCTAssertEqual(actions.first, "case.create")
            XCTAssertEqual(actions.count, 14, "create, two uploads and eleven transitions")
        }
    }

    func testRefusalsAreClearAndWriteNothing() async throws {
        try await withApp { app, _ in
            let (citizen, stranger) = try await citizenAndStranger(app)
            let districtApprover = try await staffToken(app, "district", [Grant(role: .approver, scope: Scope(departmentCreditCode: Fixtures.districtDepartment))])
            let clerk = try await staffToken(app, "clerk", cityClerk)

            var res = try await postCase(app, token: citizen, key: nil)
            XCTAssertEqual(try problem(res).code, "case.idempotency_key")
            res = try await postCase(app, token: citizen, key: "bad-form", form: ["businessKind": .string("其他"), "extra": .string("x")])
            XCTAssertEqual(res.status, .badRequest)
            let body = try problem(res)
            XCTAssertEqual(body.code, "case.form_invalid")
            XCTAssertEqual(Set(body.errors?.map(\.field) ?? []), ["form/applicantName", "form/businessKind", "form/extra"])
            res = try await postCase(app, token: citizen, key: "no-item", item: "NOPE")
            XCTAssertEqual(res.status, .notFound)
            res = try await postCase(app, token: clerk, key: "staff")
            XCTAssertEqual(try problem(res).code, "case.applicant_required", "at the window the applicant is named")
            var none = try await CaseRecord.query(on: app.db).count()
            XCTAssertEqual(none, 0, "nothing half-written")
            none = try await IdempotencyRecord.query(on: app.db).count()
            XCTAssertEqual(none, 0)

            let id = try await makeCase(app, .submitted).requireID()
            res = try await move(app, id, .approve, token: clerk)
            XCTAssertEqual(res.status, .forbidden, "a clerk does not decide")
            res = try await move(app, id, .close, token: clerk)
            XCTAssertEqual(res.status, .conflict)
            XCTAssertTrue(try problem(res).detail.contains("已申报"))
            res = try await move(app, id, .approveOnTimeout, token: clerk)
            XCTAssertEqual(res.status, .forbidden, "only the platform approves on timeout")
            for token in [stranger, districtApprover] {
                try await app.test(.GET, "/api/v1/cases/\(id)", headers: .bearer(token)) { res async in XCTAssertEqual(res.status, .notFound) }
                res = try await move(app, id, .withdraw, token: token)
                XCTAssertEqual(res.status, .notFound)
            }
            try await app.test(.POST, "/api/v1/cases/\(id)/transitions", headers: .bearer(citizen), beforeRequest: { req in
                try req.content.encode(["action": "explode"])
            }, afterResponse: { res async throws in
                XCTAssertEqual(res.status, .badRequest)
                XCTAssertEqual(try problem(res).code, "request.malformed")
            })
            try await expect(app, id, .withdraw, token: citizen, becomes: .withdrawn)
            let events = try await CaseEventRecord.query(on: app.db).count()
            XCTAssertEqual(events, 2, "submit and withdraw only")
        }
    }

    func testApplicantsSeeTheirCasesAndStaffTheirQueueByUrgency() async throws {
        try await withApp { app, clock in
            try await staffToken(app, "clerk", cityClerk)
            try await staffToken(app, "district", [Grant(role: .windowClerk, scope: Scope(departmentCreditCode: Fixtures.districtDepartment))])
            // Two cases filed on Sunday; the second accepted, its deadline Friday 11-27.
            let submitted = try await makeCase(app, .submitted)
            let accepted = try await makeCase(app, .accepted)
            let ids = [try submitted.requireID(), try accepted.requireID()]
            let citizen = try await applicantToken(app, citizenID)
            try await app.test(.GET, "/api/v1/cases", headers: .bearer(citizen)) { res async throws in
                XCTAssertEqual(res.status, .ok, res.body.string)
                XCTAssertEqual(try res.content.decode(CaseService.Listing.self).total, 2)
            }
            clock.advance(by: 4 * 86_400)  // Thursday 2026-11-26: the deadline (Friday) is one working day away.
            // Tokens live eight hours: sign in again after the days pass.
            var clerkNow = try await applicantToken(app, "clerk", password: testPassword)
            try await app.test(.GET, "/api/v1/cases", headers: .bearer(clerkNow)) { res async throws in
                let listing = try res.content.decode(CaseService.Listing.self)
                XCTAssertEqual(listing.cases.map(\.id), [ids[1], ids[0]], "the running clock first")
                XCTAssertEqual(listing.cases.map(\.urgency), [.yellow, .none])
            }
            clock.advance(by: 4 * 86_400)
            clerkNow = try await applicantToken(app, "clerk", password: testPassword)
            let districtNow = try await applicantToken(app, "district", password: testPassword)
            try await app.test(.GET, "/api/v1/cases?state=accepted", headers: .bearer(clerkNow)) { res async throws in
                XCTAssertEqual(try res.content.decode(CaseService.Listing.self).cases.map(\.urgency), [.red])
            }
            try await app.test(.GET, "/api/v1/cases", headers: .bearer(districtNow)) { res async throws in
                XCTAssertEqual(try res.content.decode(CaseService.Listing.self).total, 0, "another department's queue is empty")
            }
            try await app.test(.GET, "/api/v1/cases?state=nonsense", headers: .bearer(clerkNow)) { res async throws in
                XCTAssertEqual(try problem(res).code, "case.state")
            }
        }
    }

    func testAnApproverExtendsTheTimeLimitOnceWithAReasonAndTheApplicantIsTold() async throws {
        try await withApp { app, _ in
            let clerk = try await staffToken(app, "clerk", cityClerk)
            let approver = try await staffToken(app, "approver", cityApprover)
            let id = try await makeCase(app, .submitted, materials: [1, 3]).requireID()
            func extend(_ days: Int, _ reason: String, token: String) async throws -> XCTHTTPResponse {
                try await call(app, .POST, "/api/v1/cases/\(id)/extension", token: token, json: ExtensionRequest(workingDays: days, reason: reason))
            }
            var res = try await extend(5, "需现场核查", token: approver)
            XCTAssertEqual(try problem(res).code, "case.no_running_clock", "no clock before acceptance")
            try await expect(app, id, .accept, token: clerk, becomes: .accepted)
            res = try await extend(5, "需现场核查", token: clerk)
            XCTAssertEqual(res.status, .forbidden, "a clerk does not extend")
            res = try await extend(11, "需现场核查", token: approver)
            XCTAssertEqual(try problem(res).code, "case.extension_days")
            res = try await extend(5, "  ", token: approver)
            XCTAssertEqual(try problem(res).code, "case.reason_required")
            res = try await extend(5, "需现场核查经营场所", token: approver)
            XCTAssertEqual(res.status, .ok, res.body.string)
            let view = try res.content.decode(CaseView.self)
            XCTAssertEqual(view.deadline, "2026-12-04", "five more working days after Friday 11-27")
            XCTAssertEqual(view.timeline.last?.action, "extendDeadline")
            XCTAssertTrue(view.timeline.last?.reason?.contains("需现场核查经营场所") == true)
            res = try await extend(2, "再延", token: approver)
            XCTAssertEqual(try problem(res).code, "deadline.already_extended")
            let told = try await OutboxRecord.query(on: app.db).filter(\.$subject == "办件进度：延长办理期限").count()
            XCTAssertEqual(told, 2, "inbox and SMS")
        }
    }
}

final class CaseRetryTests: XCTestCase {
    /// A client that lost the answer retries with the same key: it hears about the case it made,
    /// even when the item has been retired since (judging the request again would say 404 and the
    /// client would file a second case under a new key).
    func testARetryAnswersTheCaseMadeEvenAfterTheItemWasRetired() async throws {
        try await withApp { app, _ in
            try await registerPerson(app)
            let citizen = try await applicantToken(app, citizenID)
            let admin = try await staffToken(app, "admin", catalogAdmin)
            let id = try await fileCase(app, token: citizen, key: "lost-answer")
            let retired = try await call(app, .POST, "/api/v1/items/\(foodCode)/workflow", token: admin, json: WorkflowRequest(action: "retire", note: "停止办理"))
            XCTAssertEqual(retired.status, .ok, retired.body.string)
            let fresh = try await postCase(app, token: citizen, key: "a-new-filing")
            XCTAssertEqual(fresh.status, .notFound, "a new filing for a retired item is refused")
            let retry = try await postCase(app, token: citizen, key: "lost-answer")
            XCTAssertEqual(retry.status, .ok, retry.body.string)
            XCTAssertEqual(try retry.content.decode(CaseView.self).id, id)
            let cases = try await CaseRecord.query(on: app.db).count()
            XCTAssertEqual(cases, 1)
        }
    }
}
