import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

final class DeadlineWatchTests: XCTestCase {
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
            // Accepted on Sunday 2026-11-22: the deadline is Friday 2026-11-27.
            let id = try await makeCase(app, .accepted).requireID()
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
        try await withApp { app, _ in
            let id = try await makeCase(app, .overdue).requireID()
            try await allowApprovalOnTimeout(app, id)
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
        try await withApp { app, _ in
            // Accepted 容缺 (material 3 to follow), and now past the deadline.
            let id = try await makeCase(app, .deferred, .overdue).requireID()
            try await allowApprovalOnTimeout(app, id)
            let record = try await CaseRecord.find(id, on: app.db)
            XCTAssertEqual(record?.deferredOutstanding, true)
            // Overdue with the material still missing: no approval, a red alert instead.
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
