import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

final class NotificationTests: XCTestCase {
    func statuses(_ app: Application) async throws -> [String: Int] {
        try await OutboxRecord.query(on: app.db).all().reduce(into: [:]) { $0[$1.status, default: 0] += 1 }
    }

    func testMessagesReachTheInboxAndSMSAndSurviveAnOutage() async throws {
        try await withApp { app, clock in
            try await makeCase(app, .submitted)
            var report = try await OutboxDispatcher(app: app).runOnce()
            XCTAssertEqual(report, .init(sent: 3, retried: 0, failed: 0), "the applicant's inbox and SMS, and the department's inbox")
            let sms = try await SMSLogRecord.query(on: app.db).all()
            XCTAssertEqual(sms.count, 1)
            XCTAssertTrue(sms[0].recipient.hasSuffix("138****0001"), "the log keeps a masked number")
            let citizen = try await applicantToken(app, citizenID)
            try await app.test(.GET, "/api/v1/me/inbox", headers: .bearer(citizen)) { res async throws in
                let inbox = try res.content.decode([NotificationController.InboxEntry].self)
                XCTAssertEqual(inbox.count, 1)
                XCTAssertTrue(inbox[0].body.contains("已提交"))
            }

            // The SMS provider goes down: the inbox copy goes out, the SMS waits and is retried.
            app.localSMS.isFailing = true
            try await makeCase(app, .submitted)
            report = try await OutboxDispatcher(app: app).runOnce()
            XCTAssertEqual(report, .init(sent: 2, retried: 1, failed: 0))
            report = try await OutboxDispatcher(app: app).runOnce()
            XCTAssertEqual(report, .init(), "nothing is due before the wait is over")
            clock.advance(by: 31)
            report = try await OutboxDispatcher(app: app).runOnce()
            XCTAssertEqual(report.retried, 1)
            app.localSMS.isFailing = false
            clock.advance(by: 121)
            report = try await OutboxDispatcher(app: app).runOnce()
            XCTAssertEqual(report, .init(sent: 1, retried: 0, failed: 0), "nothing lost")
            let counts = try await statuses(app)
            XCTAssertEqual(counts, ["sent": 6])
        }
    }

    func testExhaustedMessagesAlertAdministratorsWhoCanResend() async throws {
        try await withApp { app, clock in
            app.localSMS.isFailing = true
            try await makeCase(app, .submitted)
            for _ in 0..<12 {
                try await OutboxDispatcher(app: app).runOnce()
                clock.advance(by: 7 * 3600)
            }
            let counts = try await statuses(app)
            XCTAssertEqual(counts, ["sent": 2, "failed": 1])
            let alerts = try await InboxMessageRecord.query(on: app.db).filter(\.$recipient == "role:systemAdministrator").all()
            XCTAssertEqual(alerts.count, 1)
            let admin = try await staffToken(app, "root", [Grant(role: .systemAdministrator, scope: .everywhere)])
            var failed: [NotificationController.OutboxEntry] = []
            try await app.test(.GET, "/api/v1/notifications/failed", headers: .bearer(admin)) { res async throws in
                failed = try res.content.decode([NotificationController.OutboxEntry].self)
            }
            XCTAssertEqual(failed.map(\.channel), ["sms"])
            XCTAssertEqual(failed.first?.attempts, 10)
            let citizen = try await applicantToken(app, citizenID)
            try await app.test(.GET, "/api/v1/notifications/failed", headers: .bearer(citizen)) { res async in
                XCTAssertEqual(res.status, .forbidden)
            }
            try await app.test(.POST, "/api/v1/notifications/\(failed[0].id)/resend", headers: .bearer(admin)) { res async in
                XCTAssertEqual(res.status, .accepted)
            }
            app.localSMS.isFailing = false
            let report = try await OutboxDispatcher(app: app).runOnce()
            XCTAssertEqual(report.sent, 1)
            let resent = try await AuditEventRecord.query(on: app.db).filter(\.$action == "notification.resend").count()
            XCTAssertEqual(resent, 1)
        }
    }

    func testAMessageLeftHalfClaimedByACrashedInstanceIsTakenUpAgain() async throws {
        try await withApp { app, clock in
            try await makeCase(app, .submitted)
            for message in try await OutboxRecord.query(on: app.db).all() {
                message.status = "sending"
                message.claimedAt = clock.now()
                try await message.save(on: app.db)
            }
            var report = try await OutboxDispatcher(app: app).runOnce()
            XCTAssertEqual(report, .init(), "a fresh claim belongs to the instance that made it")
            clock.advance(by: OutboxDispatcher.staleClaim + 1)
            report = try await OutboxDispatcher(app: app).runOnce()
            XCTAssertEqual(report.sent, 3)
        }
    }

    func testApplicantsWhoGiveAnAddressAreAlsoToldByEmailThroughAGatewayThatCanFail() async throws {
        try await withApp { app, clock in
            try await registerPerson(app)
            let citizen = try await applicantToken(app, citizenID)
            for (email, status) in [("not-an-address", HTTPStatus.badRequest), ("Zhang.Ming@Example.CN", .ok)] {
                try await app.test(.PUT, "/api/v1/me/email", headers: .bearer(citizen), beforeRequest: { req in
                    try req.content.encode(IdentityAPIController.EmailRequest(email: email))
                }, afterResponse: { res async throws in
                    XCTAssertEqual(res.status, status, res.body.string)
                    if status == .ok { XCTAssertEqual(try res.content.decode(ApplicantView.self).email, "zh***@example.cn") }
                })
            }
            app.localMail.isFailing = true
            try await makeCase(app, .submitted)
            var report = try await OutboxDispatcher(app: app).runOnce()
            XCTAssertEqual(report, .init(sent: 3, retried: 1, failed: 0), "inbox, SMS and the department's inbox; the e-mail waits")
            app.localMail.isFailing = false
            clock.advance(by: 31)
            report = try await OutboxDispatcher(app: app).runOnce()
            XCTAssertEqual(report.sent, 1)
            let mails = try await MailLogRecord.query(on: app.db).all()
            XCTAssertEqual(mails.map(\.recipient.count).count, 1)
            XCTAssertTrue(mails[0].recipient.hasSuffix("zh***@example.cn"), "the log keeps a masked address")
            XCTAssertTrue(mails[0].body.contains("已提交"))
            let stored = try await ApplicantRecord.query(on: app.db).first()
            XCTAssertFalse(stored?.emailSealed?.contains("example") ?? true, "sealed at rest")
            // Removing the address stops the e-mails.
            try await app.test(.PUT, "/api/v1/me/email", headers: .bearer(citizen), beforeRequest: { req in
                try req.content.encode(IdentityAPIController.EmailRequest(email: ""))
            }, afterResponse: { res async in XCTAssertEqual(res.status, .ok) })
            try await makeCase(app, .submitted)
            let queued = try await OutboxRecord.query(on: app.db).filter(\.$channel == "email").count()
            XCTAssertEqual(queued, 1, "no e-mail queued once the address is gone")
        }
    }
}
