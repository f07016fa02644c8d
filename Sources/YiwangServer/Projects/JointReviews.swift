import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

struct NewJointReviewRequest: Content {
    var kind: BundleKind
    /// What is reviewed: the drawings' set, the site, the assessment.
    var subject: String
    /// The lead department (牵头), whose approver starts, consolidates and resolves.
    var leadDepartment: String
    var departments: [String]
    /// Working days; the reform's (7 for 多图联审 and 联合验收, 40 for 多评合一) when absent.
    var limit: Int?
}

struct JointReviewStepRequest: Content {
    /// opinion, consolidate, resolve, reopen.
    var step: String
    /// The department acting (one the actor decides for); the lead for all but `opinion`.
    var department: String?
    var verdict: ReviewVerdict?
    var text: String?
    /// At consolidation: the departments whose conditions the lead finds conflicting.
    var conflicting: [String]?
    var conditions: String?
    var reason: String?
}

/// 多图联审, 联合验收, 多评合一 on the server: several departments each record their opinion on one
/// set of drawings or one site, the lead department consolidates them into one result within the
/// limit, and settles conflicts with a recorded reason (Core's `JointReviewRules`).
extension ProjectService {
    struct JointReviewView: Content {
        struct Opinion: Content {
            var department: String
            var departmentName: String
            var verdict: ReviewVerdict?
            var verdictName: String
            var text: String
            var recordedOn: String?
        }

        var id: UUID
        var projectCode: String?
        var stage: String?
        var kind: BundleKind
        var kindName: String
        var subject: String
        var leadDepartment: String
        var leadDepartmentName: String
        var state: JointReviewState
        var stateName: String
        var startedOn: String
        var limit: Int
        var deadline: String?
        var timeliness: String?
        var opinions: [Opinion]
        var conflicting: [String]
        var resolution: JointReviewResolution?
        /// The one consolidated result, as issued (every department's opinion, the lead's decision).
        var result: String?
        /// The departments the actor may record an opinion for now.
        var mayRecordFor: [String]
        var mayLead: Bool
    }

    /// The departments of a review as the policy weighs them (with their region, so a grant
    /// scoped to a department in a region covers them).
    static func owners(_ codes: [String], on db: any Database) async throws -> [String: ResourceOwner] {
        let departments = try await DepartmentRecord.query(on: db).filter(\.$creditCode ~~ codes).all()
        return Dictionary(
            departments.map { ($0.creditCode, ResourceOwner(departmentCreditCode: $0.creditCode, regionCode: $0.regionCode)) }, uniquingKeysWith: { first, _ in first })
    }

    func mayRead(_ review: JointReview, on db: any Database) async throws -> Bool {
        let owners = try await Self.owners([review.leadDepartment] + review.departments, on: db)
        return owners.values.contains { Policy.allows(ctx.actor, .readCases, on: $0) }
    }

    func reviewRecord(_ id: UUID, on db: any Database) async throws -> (JointReviewRecord, JointReview) {
        guard let record = try await JointReviewRecord.find(id, on: db) else {
            throw DomainError.notFound("joint_review.not_found", "未找到该联合审查。")
        }
        let review = try record.review
        if try await mayRead(review, on: db) { return (record, review) }
        if let projectID = record.projectID, let project = try await InvestmentProjectRecord.find(projectID, on: db), try await mayRead(project, on: db) {
            return (record, review)
        }
        throw DomainError.notFound("joint_review.not_found", "未找到该联合审查。")
    }

    /// The lead department's approver starts a joint review of the project, in its current stage.
    func startReview(_ code: String, _ body: NewJointReviewRequest) async throws -> JointReviewRecord {
        let ctx = self.ctx
        let service = self
        return try await ctx.write { tx in
            let project = try await service.visible(code, on: tx)
            let lead = try await Self.department(body.leadDepartment, on: tx)
            try Policy.authorize(ctx.actor, .decideCase, on: lead)
            for code in body.departments { _ = try await Self.department(code, on: tx) }
            let current = try project.project
            let review = try JointReviewRules.start(
                kind: body.kind, subject: body.subject, projectCode: current.code, lead: body.leadDepartment, departments: body.departments, startedOn: ctx.today,
                limit: body.limit)
            let record = JointReviewRecord()
            record.id = UUID()
            record.projectID = try project.requireID()
            record.stage = current.stage.rawValue
            record.regionCode = project.regionCode
            record.createdAt = ctx.now
            record.updatedAt = ctx.now
            try record.take(review, calendar: try await ctx.calendar(on: tx))
            try await record.create(on: tx)
            try await AuditTrail.append(
                ctx.entry(
                    "jointReview.start", subjectType: "joint_review", subjectID: try record.requireID().uuidString, owner: lead,
                    after: "\(project.code) \(review.kind.chineseName)：\(review.subject)"), on: tx)
            try await OutboxRecord.insert(
                review.departments.map { department in
                    OutboxRecord(
                        dedupeKey: "joint:\(record.id?.uuidString ?? ""):start:\(department)", caseID: nil, recipient: "department:" + department, channel: "inbox",
                        subject: "请参加\(review.kind.chineseName)", body: "项目“\(project.name)”(\(project.code))的\(review.kind.chineseName)“\(review.subject)”请于 \(record.deadline ?? "") 前提出审查意见。",
                        at: ctx.now)
                }, on: tx)
            return record
        }
    }

    static func department(_ code: String, on db: any Database) async throws -> ResourceOwner {
        guard let department = try await DepartmentRecord.query(on: db).filter(\.$creditCode == code).first() else {
            throw DomainError.invalid("joint_review.department", "部门“\(code.prefix(40))”不在部门名录中。", fields: [FieldError(field: "departments", message: "请填写已登记部门的统一社会信用代码。")])
        }
        return ResourceOwner(departmentCreditCode: department.creditCode, regionCode: department.regionCode)
    }

    /// A step of a joint review: a department's opinion, or the lead's consolidation, resolution or reopening.
    func reviewStep(_ id: UUID, _ body: JointReviewStepRequest) async throws -> JointReviewRecord {
        let ctx = self.ctx
        let service = self
        return try await ctx.write { tx in
            let (record, review) = try await service.reviewRecord(id, on: tx)
            let calendar = try await ctx.calendar(on: tx)
            let owners = try await Self.owners(review.departments + [review.leadDepartment], on: tx)
            let acting = body.department ?? (body.step == "opinion" ? service.ownDepartment(in: review.departments, owners: owners) : review.leadDepartment)
            guard let acting else { throw DomainError.forbidden("您不代表参加本次联合审查的任何部门。") }
            try Policy.authorize(ctx.actor, .decideCase, on: try await Self.department(acting, on: tx))
            let changed: JointReview
            switch body.step {
            case "opinion":
                guard let verdict = body.verdict else {
                    throw DomainError.invalid("joint_review.verdict", "请选择审查意见：通过、有条件通过或不通过。", fields: [FieldError(field: "verdict", message: "请选择。")])
                }
                changed = try JointReviewRules.record(ReviewOpinion(department: acting, verdict: verdict, text: body.text ?? "", recordedOn: ctx.today), in: review)
            case "consolidate":
                changed = try JointReviewRules.consolidate(review, by: acting, conflicting: Set(body.conflicting ?? []), today: ctx.today, calendar: calendar)
            case "resolve":
                guard let verdict = body.verdict else {
                    throw DomainError.invalid("joint_review.verdict", "请选择牵头部门的决定。", fields: [FieldError(field: "verdict", message: "请选择。")])
                }
                changed = try JointReviewRules.resolve(review, by: acting, decision: verdict, conditions: body.conditions, reason: body.reason, today: ctx.today)
            case "reopen":
                changed = try JointReviewRules.reopen(review, by: acting, reason: body.reason, today: ctx.today)
            default:
                throw DomainError.invalid("joint_review.step", "step 应为 opinion、consolidate、resolve 或 reopen。")
            }
            try record.take(changed, calendar: calendar)
            record.updatedAt = ctx.now
            try await record.save(on: tx)
            try await AuditTrail.append(
                ctx.entry(
                    "jointReview." + body.step, subjectType: "joint_review", subjectID: id.uuidString,
                    owner: ResourceOwner(departmentCreditCode: acting, regionCode: nil), before: review.state.rawValue, after: changed.state.rawValue), on: tx)
            if changed.state.isConcluded && !review.state.isConcluded, let projectID = record.projectID,
                let project = try await InvestmentProjectRecord.find(projectID, on: tx)
            {
                let notice = CaseNotice(
                    subject: "\(changed.kind.chineseName)结果：\(project.name)",
                    body: JointReviewRules.resultText(changed, names: try await DepartmentRecord.names(changed.departments + [changed.leadDepartment], on: tx), calendar: calendar))
                let channels = try await CaseService.applicantChannels(project.ownerID, on: tx)
                try await OutboxRecord.insert(
                    channels.map { channel in
                        OutboxRecord(
                            dedupeKey: "joint:\(id.uuidString):result:\(changed.round):\(channel)", caseID: nil, recipient: "applicant:" + project.ownerID,
                            channel: channel, subject: notice.subject, body: notice.body, at: ctx.now)
                    }, on: tx)
            }
            return record
        }
    }

    /// The first of the review's departments the actor decides for.
    func ownDepartment(in departments: [String], owners: [String: ResourceOwner]) -> String? {
        departments.first { code in owners[code].map { Policy.allows(ctx.actor, .decideCase, on: $0) } ?? false }
    }

    func reviewView(_ record: JointReviewRecord, review: JointReview, on db: any Database) async throws -> JointReviewView {
        let calendar = try await ctx.calendar(on: db)
        let names = try await DepartmentRecord.names(review.departments + [review.leadDepartment], on: db)
        let owners = try await Self.owners(review.departments + [review.leadDepartment], on: db)
        let timing = try? JointReviewRules.timing(review, today: ctx.today, calendar: calendar)
        let project = try await record.projectID.asyncMap { try await InvestmentProjectRecord.find($0, on: db) } ?? nil
        return JointReviewView(
            id: try record.requireID(), projectCode: project?.code, stage: record.stage, kind: review.kind, kindName: review.kind.chineseName, subject: review.subject,
            leadDepartment: review.leadDepartment, leadDepartmentName: names[review.leadDepartment] ?? review.leadDepartment, state: review.state,
            stateName: review.state.chineseName, startedOn: review.startedOn.description, limit: review.limit, deadline: record.deadline,
            timeliness: timing?.timeliness.chineseName,
            opinions: review.departments.map { department in
                let opinion = review.opinion(of: department)
                return JointReviewView.Opinion(
                    department: department, departmentName: names[department] ?? department, verdict: opinion?.verdict,
                    verdictName: opinion?.verdict.chineseName ?? "待提出", text: opinion?.text ?? "", recordedOn: opinion?.recordedOn.description)
            },
            conflicting: review.consolidation?.conflicting ?? [], resolution: review.resolution,
            result: review.state.isConcluded ? JointReviewRules.resultText(review, names: names, calendar: calendar) : nil,
            mayRecordFor: review.state == .open
                ? review.pendingDepartments.filter { code in owners[code].map { Policy.allows(ctx.actor, .decideCase, on: $0) } ?? false } : [],
            mayLead: owners[review.leadDepartment].map { Policy.allows(ctx.actor, .decideCase, on: $0) } ?? false)
    }
}

extension Optional {
    /// Maps the wrapped value with an async throwing transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
