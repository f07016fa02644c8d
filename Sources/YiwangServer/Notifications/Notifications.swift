import Fluent
import NIOCore
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import YiwangCore

/// A message in an applicant's in-app inbox (站内信).
final class InboxMessageRecord: Model, @unchecked Sendable {
    static let schema = "inbox_messages"

    @ID(key: .id) var id: UUID?
    @Field(key: "recipient") var recipient: String
    @Field(key: "subject") var subject: String
    @Field(key: "body") var body: String
    @OptionalField(key: "case_id") var caseID: UUID?
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "read_at") var readAt: Date?

    init() {}
}

/// What the local SMS gateway "sent": recipient and masked number, never the number in clear.
final class SMSLogRecord: Model, @unchecked Sendable {
    static let schema = "sms_log"

    @ID(key: .id) var id: UUID?
    @Field(key: "recipient") var recipient: String
    @Field(key: "body") var body: String
    @Field(key: "sent_at") var sentAt: Date

    init() {}
}

struct DeliveryFailure: Error, CustomStringConvertible {
    var description: String
}

/// Sends text messages. A city plugs in its operator's gateway; `LocalSMSGateway` behaves like one
/// here (it records what it sent, and fails on demand like a gateway in an outage).
protocol SMSProvider: Sendable {
    /// `logged`: what the log keeps instead of the text (a verification code is never kept).
    func send(to phone: String, recipient: String, text: String, logged: String?, at now: Date, on db: any Database) async throws
}

/// Sends e-mail; `LocalMailGateway` is the working local implementation.
protocol MailProvider: Sendable {
    func send(to address: String, recipient: String, subject: String, text: String, at now: Date, on db: any Database) async throws
}

/// What the local gateways share: a switch that makes them fail like a provider in an outage.
class LocalGateway: @unchecked Sendable {
    private let failing = NIOLockedValueBox(false)

    var isFailing: Bool {
        get { failing.withLockedValue { $0 } }
        set { failing.withLockedValue { $0 = newValue } }
    }
}

/// The SMS provider. The local implementation behaves like a gateway: it accepts a number and
/// text, records what it sent, and can be told to fail (an outage) to exercise the retries.
final class LocalSMSGateway: LocalGateway, SMSProvider, @unchecked Sendable {
    /// What each handset received lately, in memory only (the log never keeps codes): stands for
    /// the applicant's phone when the platform runs without a real provider.
    private let handsets = NIOLockedValueBox([String: [String]]())

    func received(by phone: String) -> [String] { handsets.withLockedValue { $0[phone] ?? [] } }

    func send(to phone: String, recipient: String, text: String, logged: String?, at now: Date, on db: any Database) async throws {
        guard !isFailing else { throw DeliveryFailure(description: "短信网关暂时不可用(503)") }
        let entry = SMSLogRecord()
        entry.recipient = recipient + " " + PersonalData.mask(phone, as: .phone)
        entry.body = String((logged ?? text).prefix(500))
        handsets.withLockedValue { $0[phone, default: []] = Array(($0[phone, default: []] + [text]).suffix(20)) }
        entry.sentAt = now
        try await entry.create(on: db)
    }
}

extension Application {
    private struct SMSProviderKey: StorageKey { typealias Value = any SMSProvider }

    /// The SMS provider registered at start-up (`configure`); tests swap in their own.
    var sms: any SMSProvider {
        get { storage[SMSProviderKey.self] ?? LocalSMSGateway() }
        set { storage[SMSProviderKey.self] = newValue }
    }
}

/// Delivers the outbox: claims due messages one by one with a compare-and-set (so several
/// instances never send the same message), sends, and records success, a retry with backoff,
/// or, when attempts run out, failure plus an alert in the administrators' inbox. Messages a
/// crashed instance left half-claimed are taken up again after a few minutes.
struct OutboxDispatcher {
    let app: Application
    let policy = DeliveryPolicy()
    static let staleClaim: TimeInterval = 300

    struct Report: Equatable {
        var sent = 0
        var retried = 0
        var failed = 0
    }

    @discardableResult
    func runOnce(limit: Int = 100) async throws -> Report {
        let db = app.db
        guard let sql = db as? any SQLDatabase else { return Report() }
        let now = app.timeSource.now()
        let stale = now.addingTimeInterval(-Self.staleClaim)
        let due = try await OutboxRecord.query(on: db)
            .group(.or) { group in
                group.group(.and) { $0.filter(\.$status == "pending").filter(\.$nextAttemptAt <= now) }
                group.group(.and) { $0.filter(\.$status == "sending").filter(\.$claimedAt < stale) }
            }
            .sort(\.$nextAttemptAt).limit(limit).all()
        var report = Report()
        for message in due {
            struct Claimed: Decodable { var id: UUID }
            let claimed = try await sql.update(OutboxRecord.schema)
                .set("status", to: "sending").set("claimed_at", to: now)
                .where("id", .equal, message.id!)
                .where("status", .equal, message.status)
                .where("attempts", .equal, message.attempts)
                .returning("id").all(decoding: Claimed.self)
            guard !claimed.isEmpty else { continue }  // another instance took it
            do {
                try await deliver(message, at: now, on: db)
                message.status = "sent"
                message.sentAt = now
                message.lastError = nil
                report.sent += 1
            } catch {
                message.attempts += 1
                message.lastError = String(describing: error).prefix(300).description
                switch policy.afterFailure(attempts: message.attempts) {
                case .retry(let wait):
                    message.status = "pending"
                    message.nextAttemptAt = now.addingTimeInterval(wait)
                    report.retried += 1
                case .giveUp:
                    message.status = "failed"
                    report.failed += 1
                    try await alertAdministrators(about: message, at: now, on: db)
                }
            }
            message.claimedAt = nil
            try await message.save(on: db)
        }
        return report
    }

    private func deliver(_ message: OutboxRecord, at now: Date, on db: any Database) async throws {
        switch message.channel {
        case "inbox":
            let entry = InboxMessageRecord()
            entry.recipient = message.recipient
            entry.subject = message.subject
            entry.body = message.body
            entry.caseID = message.caseID
            entry.createdAt = now
            try await entry.create(on: db)
        case "sms", "email":
            guard message.recipient.hasPrefix("applicant:"), let id = UUID(uuidString: String(message.recipient.dropFirst("applicant:".count))),
                let applicant = try await ApplicantRecord.find(id, on: db)
            else { throw DeliveryFailure(description: "收件人不存在") }
            // No phone or address on file (any more): the inbox copy is the message.
            if message.channel == "sms" {
                guard let sealed = applicant.phoneSealed else { return }
                try await app.sms.send(to: try app.keyRing.open(sealed), recipient: message.recipient, text: message.body, logged: nil, at: now, on: db)
            } else {
                guard let sealed = applicant.emailSealed else { return }
                try await app.mail.send(
                    to: try app.keyRing.open(sealed), recipient: message.recipient, subject: message.subject, text: message.body, at: now, on: db)
            }
        default:
            throw DeliveryFailure(description: "未知的通知渠道 \(message.channel)")
        }
    }

    private func alertAdministrators(about message: OutboxRecord, at now: Date, on db: any Database) async throws {
        let alert = InboxMessageRecord()
        alert.recipient = "role:systemAdministrator"
        alert.subject = "通知发送失败，需人工处理"
        alert.body = "发往 \(message.recipient) 的\(["sms": "短信", "email": "邮件"][message.channel] ?? "站内信")在 \(message.attempts) 次尝试后仍未送达(\(message.lastError ?? ""))。可在通知管理中重发。"
        alert.caseID = message.caseID
        alert.createdAt = now
        try await alert.create(on: db)
    }
}

/// Runs the platform's own jobs while `serve` runs: outbox delivery every 2 s, the deadline
/// watch every minute.
struct BackgroundJobs: LifecycleHandler {
    /// The platform's jobs for this process: their timers, whether it is stopping, and how many
    /// runs are under way, so that a stop cancels the timers and waits for the runs before the
    /// database goes away (a run that reached the database after it had shut down trapped).
    final class Jobs: @unchecked Sendable {
        let state = NIOLockedValueBox((tasks: [RepeatedTask](), stopping: false, running: 0))

        /// Runs one job unless the process is stopping; counted while it runs.
        func run(_ body: @Sendable () async -> Void) async {
            let admitted = state.withLockedValue { state -> Bool in
                guard !state.stopping else { return false }
                state.running += 1
                return true
            }
            guard admitted else { return }
            await body()
            state.withLockedValue { $0.running -= 1 }
        }

        /// Stops the timers and waits (at most ten seconds) for the runs under way.
        func stop() async {
            let tasks = state.withLockedValue { state -> [RepeatedTask] in
                state.stopping = true
                return state.tasks
            }
            for task in tasks { task.cancel() }
            for _ in 0..<200 where state.withLockedValue({ $0.running }) > 0 {
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    private struct JobsKey: StorageKey { typealias Value = Jobs }

    func didBootAsync(_ application: Application) async throws {
        guard application.settings.runsBackgroundJobs else { return }
        let jobs = Jobs()
        application.storage[JobsKey.self] = jobs
        PlatformMetrics.shared.deadlineWatchExpected(from: application.timeSource.now())
        let app = application
        func every(_ delay: Int64, after initial: Int64, _ body: @escaping @Sendable () async -> Void) {
            let task = app.eventLoopGroup.next().scheduleRepeatedAsyncTask(initialDelay: .seconds(initial), delay: .seconds(delay)) { _ in
                app.eventLoopGroup.next().makeFutureWithTask { await jobs.run(body) }
            }
            jobs.state.withLockedValue { $0.tasks.append(task) }
        }
        every(2, after: 2) {
            do {
                try await OutboxDispatcher(app: app).runOnce()
            } catch {
                app.logger.warning("outbox delivery failed: \(error)")
            }
        }
        every(60, after: 5) {
            do {
                let started = ContinuousClock.now
                try await DeadlineWatch(app: app).runOnce()
                PlatformMetrics.shared.deadlineWatchRan(at: app.timeSource.now(), took: ContinuousClock.now - started)
            } catch {
                app.logger.warning("deadline watch failed: \(error)")
            }
        }
        every(Int64(application.settings.auditCheckpointSeconds), after: 1) { await app.checkpointAudit() }
        every(600, after: 30) {
            // The longest window is a day.
            try? await RateLimits.forgetOldWindows(before: app.timeSource.now().addingTimeInterval(-25 * 3600), on: app.db)
        }
    }

    /// Stops the jobs, then writes a last checkpoint, so the file holds the head as the server
    /// left it; all before the database shuts down (handlers stop in reverse order).
    func shutdownAsync(_ application: Application) async {
        guard let jobs = application.storage[JobsKey.self] else { return }
        await jobs.stop()
        await application.checkpointAudit()
    }
}

/// `/api/v1/me/inbox` for applicants; `/api/v1/notifications…` for administrators.
enum NotificationController {
    struct InboxEntry: Content {
        var id: UUID
        var subject: String
        var body: String
        var caseID: UUID?
        var createdAt: Date
    }

    struct OutboxEntry: Content {
        var id: UUID
        var recipient: String
        var channel: String
        var subject: String
        var status: String
        var attempts: Int
        var lastError: String?
        var createdAt: Date
    }

    @Sendable static func inbox(_ request: Request) async throws -> [InboxEntry] {
        guard request.applicant != nil else { throw DomainError.forbidden("只有申请人有站内信箱。") }
        return try await entries(request, limit: 100)
    }

    /// Whose messages the caller reads: the applicant's own; for staff, the departments in the
    /// scope where they read cases, and the administrators' alerts for those who manage them.
    static func recipients(_ request: Request) async throws -> [String] {
        let actor = request.actor
        switch actor {
        case .anonymous: return []
        case .applicant(let applicant):
            try request.authorize(.viewOwnCases, on: .applicant(applicant.principalID))
            return ["applicant:" + applicant.principalID]
        case .staff:
            var recipients = Policy.mayAttempt(actor, .manageNotifications) ? ["role:systemAdministrator"] : []
            // A department's messages (new work, deadline alerts) are for those who handle its
            // cases, at the window or in the back office; the hotline follows progress elsewhere.
            let handles: [PolicyAction] = [.handleCaseAtWindow, .decideCase]
            guard handles.contains(where: { Policy.mayAttempt(actor, $0) }) else { return recipients }
            let departments = try await DepartmentRecord.query(on: request.db).all()
            recipients += departments.filter { department in
                let owner = ResourceOwner(departmentCreditCode: department.creditCode, regionCode: department.regionCode)
                return handles.contains { Policy.allows(actor, $0, on: owner) }
            }.map { "department:" + $0.creditCode }
            return recipients
        }
    }

    static func entries(_ request: Request, limit: Int) async throws -> [InboxEntry] {
        let recipients = try await recipients(request)
        guard !recipients.isEmpty else { return [] }
        return try await InboxMessageRecord.query(on: request.db).filter(\.$recipient ~~ recipients)
            .sort(\.$createdAt, .descending).limit(limit).all()
            .map { InboxEntry(id: $0.id!, subject: $0.subject, body: $0.body, caseID: $0.caseID, createdAt: $0.createdAt) }
    }

    /// Messages that ran out of attempts, for the administrators.
    @Sendable static func failed(_ request: Request) async throws -> [OutboxEntry] {
        try request.authorize(.manageNotifications)
        return try await OutboxRecord.query(on: request.db).filter(\.$status == "failed").sort(\.$createdAt, .descending).limit(200).all()
            .map { OutboxEntry(id: $0.id!, recipient: $0.recipient, channel: $0.channel, subject: $0.subject, status: $0.status, attempts: $0.attempts, lastError: $0.lastError, createdAt: $0.createdAt) }
    }

    /// Puts a failed message back in the queue with fresh attempts (audited).
    @Sendable static func resend(_ request: Request) async throws -> HTTPStatus {
        try request.authorize(.manageNotifications)
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw DomainError.notFound("notification.not_found", "未找到该通知。")
        }
        let (context, now) = (request.auditContext, request.now)
        try await AuditTrail.writeTransaction(on: request.db) { tx in
            guard let message = try await OutboxRecord.find(id, on: tx), message.status == "failed" else {
                throw DomainError.notFound("notification.not_found", "未找到该失败通知，可能已重发。")
            }
            message.status = "pending"
            message.attempts = 0
            message.nextAttemptAt = now
            try await message.save(on: tx)
            try await AuditTrail.append(context.entry("notification.resend", subjectType: "notification", subjectID: id.uuidString, at: now), on: tx)
        }
        return .accepted
    }
}

/// What the local mail gateway "sent": recipient, masked address and subject, never the address in clear.
final class MailLogRecord: Model, @unchecked Sendable {
    static let schema = "mail_log"

    @ID(key: .id) var id: UUID?
    @Field(key: "recipient") var recipient: String
    @Field(key: "subject") var subject: String
    @Field(key: "body") var body: String
    @Field(key: "sent_at") var sentAt: Date

    init() {}
}

/// The e-mail provider. Like the SMS gateway, the local implementation records what it sent and
/// can be told to fail, so that an outage exercises the retries.
final class LocalMailGateway: LocalGateway, MailProvider, @unchecked Sendable {

    func send(to address: String, recipient: String, subject: String, text: String, at now: Date, on db: any Database) async throws {
        guard !isFailing else { throw DeliveryFailure(description: "邮件网关暂时不可用(421)") }
        let entry = MailLogRecord()
        entry.recipient = recipient + " " + PersonalData.mask(address, as: .email)
        entry.subject = String(subject.prefix(200))
        entry.body = String(text.prefix(2000))
        entry.sentAt = now
        try await entry.create(on: db)
    }
}

extension Application {
    private struct MailProviderKey: StorageKey { typealias Value = any MailProvider }

    /// The e-mail provider registered at start-up; tests swap in their own.
    var mail: any MailProvider {
        get { storage[MailProviderKey.self] ?? LocalMailGateway() }
        set { storage[MailProviderKey.self] = newValue }
    }
}

