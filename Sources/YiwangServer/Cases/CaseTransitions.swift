import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// The one lifecycle function and what goes with it: the case number, extensions, notifications.
extension CaseService {
    // MARK: The lifecycle

    /// One step of the case's lifecycle in its own transaction, through the platform's runner.
    @discardableResult
    func perform(_ action: CaseAction, reason: String?, on id: UUID, options: TransitionOptions = TransitionOptions()) async throws -> CaseStep.Done {
        var options = options
        if action == .submit {
            // Only a submission that may happen reads the credit registry: the policy and the
            // state machine first (the runner checks both again in the transaction).
            let (record, guide) = try await load(id, on: db)
            try CaseStep().authorize(CaseStep.Command(caseID: id, action: action, reason: reason, options: options), CaseStep.Subject(record: record, guide: guide), ctx)
            _ = try CaseLifecycle.next(record.state, .submit, facts: facts(record, guide: guide))
            options = try await creditChecked(options, applicantID: record.applicantID, guide: guide, caseID: id)
        }
        let command = CaseStep.Command(caseID: id, action: action, reason: reason, options: options)
        let done = try await recordingRead(options.creditRead) { try await ctx.run(CaseStep(), command) }
        Self.count(action, reaching: done.record.state)
        return done
    }

    /// Runs a submission that carries a registry read's log row (written by the step in its
    /// transaction); when the submission fails, the row is written alone, so no read goes unlogged.
    func recordingRead<T: Sendable>(_ read: DataUseRecord?, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            if let read { try? await DataSharingService(ctx).record(read) }
            throw error
        }
    }

    /// A step inside the caller's transaction (filing and submitting at once, a supplied
    /// material that ends a deferral).
    func transition(
        _ record: CaseRecord, _ action: CaseAction, reason: String?, guide: ServiceGuide, options: TransitionOptions = TransitionOptions(),
        on tx: any Database
    ) async throws {
        guard let id = record.id else { throw DomainError.notFound("case.not_found", "未找到该办件。") }
        _ = try await ctx.step(CaseStep(), CaseStep.Command(caseID: id, action: action, reason: reason, options: options), CaseStep.Subject(record: record, guide: guide), on: tx)
    }

    /// Counts, once committed, what operators watch: cases filed and decided.
    static func count(_ action: CaseAction, reaching state: CaseState) {
        switch action {
        case .submit: PlatformMetrics.shared.caseFiled()
        case .approve, .approveOnTimeout, .deny: PlatformMetrics.shared.caseDecided(state)
        case .accept where state == .approved: PlatformMetrics.shared.caseDecided(state)  // 即办件
        default: break
        }
    }

    struct TransitionOptions: Sendable {
        var greenChannel = false
        var resultDocument: String?
        /// A 即办件's approval, taken by the clerk at acceptance.
        var onTheSpot = false
        /// At submission: the credit check's warning, and the log row of its read (written with the step).
        var creditWarning: String?
        var creditRead: DataUseRecord?
        /// At acceptance: the clerk's reason to proceed with a flagged applicant.
        var creditReason: String?
        /// A step a bundle application takes for its task (submitted and accepted with the
        /// bundle's one acceptance, resumed when its applicant answers the one notice, cancelled
        /// by a denial): authorized by the bundle's own step, and not reported back to it.
        var byBundle = false
        /// For a bundle's task: materials of the item an earlier task's result supplies (their
        /// indexes), when the caller has them at hand (otherwise the checklist works them out).
        var producedInBundle: Set<Int>?
    }

    /// The credit check a submission makes before its transaction (a registry call never holds
    /// the write lock): a blocked applicant is refused here; a flagged one carries the warning.
    func creditChecked(_ options: TransitionOptions, applicantID: String, guide: ServiceGuide, caseID: UUID) async throws -> TransitionOptions {
        guard let id = UUID(uuidString: applicantID), let applicant = try await ApplicantRecord.find(id, on: db) else { return options }
        var checked = options
        (checked.creditWarning, checked.creditRead) = try await DataSharingService(ctx).creditCheck(
            applicantCode: try keys.open(applicant.identifierSealed), rule: guide.creditRule ?? .flag, caseID: caseID)
        return checked
    }

    /// 延期: an approver extends the time limit once, with the reason told to the applicant
    /// (`CaseExtension`, through the runner like every other step).
    func extendDeadline(_ id: UUID, workingDays: Int, reason: String?) async throws -> CaseRecord {
        try await ctx.run(CaseExtension(), CaseExtension.Command(caseID: id, workingDays: workingDays, reason: reason))
    }

    /// 受理编号: region, day, and the day's running count in that region (unique; the write lock orders it).
    /// The next number of the region's day: one upsert on the day's counter (0015), inside the
    /// transaction that accepts the case, so a refused acceptance gives no number away.
    func nextNumber(for record: CaseRecord, on tx: any Database) async throws -> String {
        let prefix = String(record.regionCode.prefix(6)) + today.description.replacingOccurrences(of: "-", with: "")
        return prefix + String(format: "%05lld", try await Counters.next(prefix, on: tx))
    }

    /// The applicant's channels: the inbox and SMS always, e-mail when they gave an address.
    func applicantChannels(_ record: CaseRecord, on db: any Database) async throws -> [String] {
        try await Self.applicantChannels(record.applicantID, on: db)
    }

    /// An applicant's channels by account id (cases, licences).
    static func applicantChannels(_ applicantID: String, on db: any Database) async throws -> [String] {
        guard let id = UUID(uuidString: applicantID),
            try await db.sql().select().column(SQLLiteral.numeric("1")).from(ApplicantRecord.schema)
                .where("id", .equal, id).where("email_sealed", .isNot, SQLLiteral.null).first() != nil
        else { return ["inbox", "sms"] }
        return ["inbox", "sms", "email"]
    }

    /// The step's notices (words from `CaseNotices`) as outbox messages: the department's inbox
    /// when its queue gains work, and the applicant on each of their channels.
    static func notifications(
        _ record: CaseRecord, action: CaseAction, reason: String?, result: ResultKind, event: UUID, at now: Date, channels: [String] = ["inbox", "sms"]
    ) -> [OutboxRecord] {
        let facts = CaseNoticeFacts(
            itemName: record.itemName, number: record.number, deadline: record.deadline, deferredDue: record.deferredDue,
            commitmentCheckDue: record.commitmentCheckDue, reason: reason, result: result)
        var messages: [OutboxRecord] = []
        if let notice = CaseNotices.department(action, facts) {
            messages.append(
                OutboxRecord(
                    dedupeKey: "\(record.id?.uuidString ?? ""):\(event.uuidString):department", caseID: record.id, recipient: "department:" + record.departmentCode,
                    channel: "inbox", subject: notice.subject, body: notice.body, at: now))
        }
        guard let notice = CaseNotices.applicant(action, facts) else { return messages }
        return messages + toApplicant(record, notice, event: event, at: now, channels: channels)
    }

    /// One notice to the applicant on each of their channels, keyed so it is never queued twice.
    static func toApplicant(_ record: CaseRecord, _ notice: CaseNotice, event: UUID, at now: Date, channels: [String]) -> [OutboxRecord] {
        let caseKey = record.id?.uuidString ?? ""
        return channels.map { channel in
            OutboxRecord(
                dedupeKey: "\(caseKey):\(event.uuidString):\(channel)", caseID: record.id, recipient: "applicant:" + record.applicantID,
                channel: channel, subject: notice.subject, body: notice.body, at: now)
        }
    }
}
