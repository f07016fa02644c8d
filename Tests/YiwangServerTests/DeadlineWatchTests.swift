import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

final class DeadlineWatchTests: XCTestCase {
    /// Files and accepts a case on Sunday 2026-11-22: its deadline is Friday 2026-11-27. Only the
    /// materials named are given (material 3 may follow: 容缺).
    func acceptedCase(_ app: Application, materials: [Int] = [1, 3]) async throws -> UUID {
        try await registerPerson(app)
        let citizen = try await applicantToken(app, citizenID)
        let clerk = try await staffToken(app, "clerk", cityClerk)
        var headers = HTTPHeaders.bearer(citizen)
        headers.add(name: "Idempotency-Key", value: "watch")
        var id: UUID?
        try await app.test(.POST, "/api/v1/cases", headers: headers, beforeRequest: { req in
            try req.content.encode(NewCaseRequest(item: foodCode, form: ["applicantName": .string("张明"), "businessKind": .string("预包装食品销售")], submit: true))
        }, afterResponse: { res async throws in id = try res.content.decode(CaseView.self).id })
        try await supplyMaterials(app, id!, token: citizen, materials)
        try await app.test(.POST, "/api/v1/cases/\(id!)/transitions", headers: .bearer(clerk), beforeRequest: { req in
            try req.content.encode(TransitionRequest(action: .accept, reason: nil))
        }, afterResponse: { res async in XCTAssertEqual(res.status, .ok, res.body.string) })
        return id!
    }

    /// The item's version in force says silence means approval (超时默认).
    func allowApprovalOnTimeout(_ app: Application, _ id: UUID) async throws {
        let record = try await CaseRecord.find(id, on: app.db)!
        let version = try await ItemVersionRecord.find(record.versionID, on: app.db)!
        var guide = try version.guide()
        guide.approveOnTimeout = true
        version.content = try ItemVersionRecord.encode(guide)
        try await version.save(on: app.db)
        // Cases carry the flag of the version they were filed under (versions in force never change).
        record.approvesOnTimeout = true
        try await record.save(on: app.db)
    }

    func testWarningsAndAlertsAreRaisedOnceEachAndCatchUpAfterDowntime() async throws {
        try await withApp { app, clock in
            let id = try await acceptedCase(app)
            var report = try await DeadlineWatch(app: app).runOnce()
            XCTAssertEqual(report, .init(), "five working days left: nothing to say")
            clock.advance(by: 4 * 86_400)  // Thursday: one working day left
            report = try await DeadlineWatch(app: app).runOnce()
            XCTAssertEqual(report.warned, 1)
            report = try await DeadlineWatch(app: app).runOnce()
            XCTAssertEqual(report, .init(), "raised once")
            // The platform was down over the weekend; on Monday the overdue case is found at once.
            clock.advance(by: 4 * 86_400)
            report = try await DeadlineWatch(app: app).runOnce()
            XCTAssertEqual(report.overdue, 1)
            let messages = try await OutboxRecord.query(on: app.db).filter(\.$caseID == id).all().map(\.recipient)
            let alerts = try await OutboxRecord.query(on: app.db).filter(\.$caseID == id).filter(\.$dedupeKey ~~ ":deadline:").count()
            XCTAssertEqual(alerts, 3, "the department's warning and alert, the applicant's notice")
            XCTAssertEqual(messages.filter { $0.hasPrefix("department:") }.count, 4, "submission and acceptance, warning and alert")
            XCTAssertTrue(messages.contains { $0.hasPrefix("applicant:") })
            let trail = try await AuditEventRecord.query(on: app.db).filter(\.$subjectID == id.uuidString).all().map(\.action)
            XCTAssertTrue(trail.contains("case.deadlineWarning") && trail.contains("case.deadlineOverdue"))
        }
    }

    func testItemsThatAllowItAreApprovedOnTimeoutByThePlatform() async throws {
        try await withApp { app, clock in
            let id = try await acceptedCase(app)
            try await allowApprovalOnTimeout(app, id)
            clock.advance(by: 8 * 86_400)
            let report = try await DeadlineWatch(app: app).runOnce()
            XCTAssertEqual(report.approvedOnTimeout, 1)
            let after = try await CaseRecord.find(id, on: app.db)!
            XCTAssertEqual(after.state, .approved)
            let step = try await CaseEventRecord.query(on: app.db).filter(\.$caseID == id).filter(\.$action == "approveOnTimeout").first()
            XCTAssertEqual(step?.actor, "system:deadline-watch", "recorded as the platform's act")
            XCTAssertEqual(step?.reason, "办理期限届满，依法视为准予")
        }
    }

    func testAnOverdueCaseWaitingForItsDeferredMaterialIsApprovedOnTimeoutOnceItArrives() async throws {
        try await withApp { app, clock in
            let id = try await acceptedCase(app, materials: [1])
            try await allowApprovalOnTimeout(app, id)
            let record = try await CaseRecord.find(id, on: app.db)
            XCTAssertEqual(record?.deferredOutstanding, true)
            // Overdue with the material still missing: no approval, a red alert instead.
            clock.advance(by: 8 * 86_400)
            var report = try await DeadlineWatch(app: app).runOnce()
            XCTAssertEqual(report, .init(warned: 0, overdue: 1, approvedOnTimeout: 0))
            // The material arrives: the next run gives the approval the law provides.
            try await supplyMaterials(app, id, token: try await applicantToken(app, citizenID), [3])
            report = try await DeadlineWatch(app: app).runOnce()
            XCTAssertEqual(report.approvedOnTimeout, 1)
            let after = try await CaseRecord.find(id, on: app.db)!
            XCTAssertEqual(after.state, .approved)
        }
    }
}
