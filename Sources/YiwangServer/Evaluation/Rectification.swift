import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// Opens and reads rectifications (差评整改); every step of one goes through `RectificationStep`.
struct RectificationService {
    let ctx: DomainContext

    init(_ ctx: DomainContext) { self.ctx = ctx }

    /// The rectification a bad review opens, due `rectificationWorkingDays` working days after the
    /// review (15 unless the city sets otherwise), in the review's transaction.
    func open(for review: ReviewRecord, on tx: any Database) async throws -> RectificationRecord {
        let calendar = try await ctx.calendar(on: tx)
        let deadline = try RectificationLifecycle.deadline(reviewedOn: ctx.today, workingDays: ctx.settings.rectificationWorkingDays, calendar: calendar)
        let record = RectificationRecord()
        record.id = UUID()
        record.reviewID = review.id ?? UUID()
        record.caseID = review.caseID
        record.departmentCode = review.departmentCode
        record.regionCode = review.regionCode
        record.itemCode = review.itemCode
        record.itemName = review.itemName
        record.state = .awaitingVerification
        record.deadline = deadline.description
        record.alertLevel = "none"
        record.createdAt = ctx.now
        record.updatedAt = ctx.now
        try await record.create(on: tx)
        try await RectificationEventRecord(
            rectificationID: record.id ?? UUID(), at: ctx.now, actor: "system:review", action: "open", from: .awaitingVerification, to: .awaitingVerification,
            summary: "差评生成整改任务，整改期限 \(deadline.description)（\(ctx.settings.rectificationWorkingDays)个工作日）"
        ).create(on: tx)
        return record
    }

    /// Rectifications the actor may see: of their departments (handlers, readers) or everywhere
    /// in their scope (supervisors), newest first, optionally only those in a state or overdue.
    func list(state: RectificationState?, overdueOnly: Bool, limit: Int = 200) async throws -> [RectificationRecord] {
        try Policy.authorizeSomewhere(ctx.actor, .readReviews)
        let query = RectificationRecord.query(on: ctx.db).sort(\.$deadline).sort(\.$createdAt, .descending)
        if let state { query.filter(\.$stateRaw == state.rawValue) }
        if overdueOnly {
            query.filter(\.$deadline < ctx.today.description).filter(\.$stateRaw !~ [RectificationState.completed.rawValue, RectificationState.appealUpheld.rawValue])
        }
        query.scoped(ctx.actor, .readReviews, department: \.$departmentCode, region: \.$regionCode)
        return try await query.limit(limit).all().filter { Policy.allows(ctx.actor, .readReviews, on: $0.owner) }
    }

    func find(_ id: UUID) async throws -> (RectificationRecord, ReviewRecord, [RectificationEventRecord]) {
        guard let record = try await RectificationRecord.find(id, on: ctx.db), Policy.allows(ctx.actor, .readReviews, on: record.owner),
            let review = try await ReviewRecord.find(record.reviewID, on: ctx.db)
        else { throw DomainError.notFound("rectification.not_found", "未找到该差评整改。") }
        let events = try await RectificationEventRecord.query(on: ctx.db).filter(\.$rectificationID == id).sort(\.$at).all()
        return (record, review, events)
    }
}

/// One step of the rectification loop, through the platform's runner: the handling department
/// verifies and classifies, replies and calls back; a supervisor decides an appeal. Core's
/// `RectificationLifecycle` decides; the row, its timeline, the statistics (on time or late, an
/// upheld appeal excluded), the audit event and the reviewer's notice are one transaction.
struct RectificationStep: Workflow {
    struct Command: Sendable {
        var id: UUID
        var step: RectificationCommand
    }

    struct Subject: Sendable {
        var record: RectificationRecord
        var review: ReviewRecord
    }

    func load(_ command: Command, _ ctx: DomainContext, on tx: any Database) async throws -> Subject {
        guard let record = try await RectificationRecord.find(command.id, on: tx),
            Policy.allows(ctx.actor, .readReviews, on: record.owner) || Policy.allows(ctx.actor, .handleBadReviews, on: record.owner),
            let review = try await ReviewRecord.find(record.reviewID, on: tx)
        else { throw DomainError.notFound("rectification.not_found", "未找到该差评整改。") }
        return Subject(record: record, review: review)
    }

    func authorize(_ command: Command, _ subject: Subject, _ ctx: DomainContext) throws {
        // Appeals are decided outside the department that made them.
        try Policy.authorize(ctx.actor, command.step.action == .decideAppeal ? .decideReviewAppeals : .handleBadReviews, on: subject.record.owner)
    }

    func plan(_ command: Command, _ subject: Subject, _ ctx: DomainContext, on tx: any Database) async throws -> RectificationPlan {
        try RectificationLifecycle.plan(subject.record.state, command.step, deadline: subject.record.deadlineDate, today: ctx.today)
    }

    func persist(_ plan: RectificationPlan, _ subject: Subject, _ ctx: DomainContext, on tx: any Database) async throws -> (RectificationRecord, StepRecord) {
        let (record, review) = (subject.record, subject.review)
        let from = record.state
        var notices: [OutboxRecord] = []
        let id = record.id ?? UUID()
        for effect in plan.effects {
            switch effect {
            case .classify(let kind): record.kindRaw = kind.rawValue
            case .record(let finding): record.finding = finding
            case .reply(let text):
                record.reply = text
                if let reviewer = review.reviewerID {
                    notices += try await CaseService.applicantChannels(reviewer, on: tx).map { channel in
                        OutboxRecord(
                            dedupeKey: "rectification:\(id.uuidString):reply:\(channel)", caseID: review.caseID, recipient: "applicant:" + reviewer,
                            channel: channel, subject: "您的评价已处理：\(review.itemName)",
                            body: "您对“\(review.itemName)”的评价（\(review.level.chineseName)）已由办理部门核实处理：\(text) 我们将回访您，办结后您可对整改结果评价。",
                            at: ctx.now)
                    }
                }
            case .returnVisit(let result, let reached):
                record.visitResult = result
                record.visitReached = reached
            case .appealDecided(_, let reason): record.appealDecision = reason
            case .rectified(let onTime):
                record.onTime = onTime
                record.closedOn = ctx.today.description
                try await StatisticsLedger.add(StatisticsRules.rectified(onTime: onTime), at: review.tallyKey, on: tx)
            case .excludeReview:
                record.closedOn = ctx.today.description
                try await StatisticsLedger.add(StatisticsRules.excluded(review.level), at: review.tallyKey, on: tx)
                notices.append(
                    OutboxRecord(
                        dedupeKey: "rectification:\(id.uuidString):appeal", caseID: review.caseID, recipient: "department:" + record.departmentCode,
                        channel: "inbox", subject: "差评申诉成立：\(review.itemName)", body: plan.summary, at: ctx.now))
            }
        }
        record.state = plan.to
        if !plan.to.isOpen { record.alertLevel = "none" }
        record.updatedAt = ctx.now
        try await record.save(on: tx)
        try await RectificationEventRecord(
            rectificationID: id, at: ctx.now, actor: ctx.audit.actor, action: plan.action.rawValue, from: from, to: plan.to, summary: plan.summary
        ).create(on: tx)
        let audit = ctx.entry(
            "rectification." + plan.action.rawValue, subjectType: "rectification", subjectID: id.uuidString, owner: record.owner, before: from.rawValue,
            after: plan.to.rawValue + "：" + plan.summary)
        return (record, StepRecord(audit: [audit], notices: notices))
    }
}
