import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

struct NewProjectRequest: Content {
    var code: String
    var name: String
    /// The site's 6-digit 行政区划 code.
    var regionCode: String
    var address: String
    /// 总投资, in 万元 as people type it ("1,234.56").
    var investment: String
    var isMajor: Bool?
    /// At the window: the owner the clerk registers for.
    var applicant: UUID?
}

struct ProxyRequest: Content {
    /// The 全程代办员's staff account; empty to release the agent.
    var account: String?
    var reason: String?
}

/// Investment and construction projects (投资项目): registered under their national code, every
/// approval filed under the code and the stage it belongs to, the project's page across stages
/// with the time so far, the move to the next stage (Core's `ProjectRules`), and 全程代办.
struct ProjectService: Sendable {
    let ctx: DomainContext

    init(_ ctx: DomainContext) { self.ctx = ctx }

    var db: any Database { ctx.db }

    // MARK: Registering and finding

    func register(_ body: NewProjectRequest) async throws -> InvestmentProjectRecord {
        let (ownerID, _) = try await CaseService(ctx).filingApplicant(body.applicant)
        let project = try ProjectRules.register(
            code: body.code, name: body.name, ownerID: ownerID, regionCode: body.regionCode, address: body.address,
            investmentYuan: try ProjectRules.yuan(fromWan: body.investment), isMajor: body.isMajor ?? false, today: ctx.today)
        let record = InvestmentProjectRecord()
        record.id = UUID()
        try record.take(project)
        if case .staff = ctx.actor { try Policy.authorize(ctx.actor, .handleCaseAtWindow, on: record.owner) }
        record.createdBy = ctx.audit.actor
        record.createdAt = ctx.now
        record.updatedAt = ctx.now
        let ctx = self.ctx
        try await ctx.write { tx in
            guard try await InvestmentProjectRecord.query(on: tx).filter(\.$code == project.code.value).first() == nil else {
                throw DomainError.conflict("project.code_taken", "投资项目代码 \(project.code.value) 已登记。")
            }
            try await record.create(on: tx)
            try await AuditTrail.append(
                ctx.entry("project.register", subjectType: "project", subjectID: project.code.value, owner: record.owner, after: project.name), on: tx)
        }
        return record
    }

    /// A project by its code, for someone who may see it: its owner's side, its 全程代办员, staff
    /// of its region, and a department with an approval or a joint review in it.
    func visible(_ raw: String, on db: (any Database)? = nil) async throws -> InvestmentProjectRecord {
        let db = db ?? self.db
        let code = (try? ProjectCode(stored: raw.trimmingCharacters(in: .whitespaces)).value) ?? raw
        guard let record = try await InvestmentProjectRecord.query(on: db).filter(\.$code == code).first() else {
            throw DomainError.notFound("project.not_found", "未找到该投资项目。")
        }
        if try await mayRead(record, on: db) { return record }
        throw DomainError.notFound("project.not_found", "未找到该投资项目。")
    }

    func mayRead(_ record: InvestmentProjectRecord, on db: any Database) async throws -> Bool {
        if Policy.allows(ctx.actor, .viewOwnCases, on: .applicant(record.ownerID)) { return true }
        if record.proxyAgent == ctx.actor.accountName, try ProjectRules.mayActForOwner(record.project, account: ctx.actor.accountName) { return true }
        if Policy.allows(ctx.actor, .readCases, on: record.owner) { return true }
        let id = try record.requireID()
        let reviews = try await JointReviewRecord.query(on: db).filter(\.$projectID == id).all()
        for review in reviews where try await mayRead(try review.review, on: db) { return true }
        return try await approvals(of: record, on: db).contains { Policy.mayRead(ctx.actor, case: $0.record.subject) }
    }

    /// Whether the actor may file for the project: its owner (or their agent) online, a window
    /// clerk with the owner, or its 全程代办员 on the owner's behalf.
    func authorizeFiling(_ record: InvestmentProjectRecord, applicantID: String) throws {
        guard applicantID == record.ownerID else {
            throw DomainError.forbidden("只有项目业主(或为其代办的人员)可以在该投资项目下申报。")
        }
    }

    /// Links a new case or bundle application to a project, in the filing's transaction, under
    /// the project's current stage; a proxy agent's filing is recorded as 全程代办.
    func link(_ code: String, applicantID: String, caseID: UUID? = nil, bundleApplicationID: UUID? = nil, on tx: any Database) async throws {
        // The filer is authorized for the case itself; the project only has to be the applicant's.
        let normalized = (try? ProjectCode(stored: code.trimmingCharacters(in: .whitespaces)).value) ?? code
        guard let record = try await InvestmentProjectRecord.query(on: tx).filter(\.$code == normalized).first() else {
            throw DomainError.notFound("project.not_found", "未找到投资项目“\(code.prefix(40))”，请先登记项目。")
        }
        try authorizeFiling(record, applicantID: applicantID)
        let project = try record.project
        try await ProjectApprovalRecord(
            projectID: try record.requireID(), stage: project.stage, caseID: caseID, bundleApplicationID: bundleApplicationID, at: ctx.now
        ).create(on: tx)
        let byProxy = record.proxyAgent == ctx.actor.accountName
        try await AuditTrail.append(
            ctx.entry(
                byProxy ? "project.fileByProxy" : "project.file", subjectType: "project", subjectID: record.code, owner: record.owner,
                after: (caseID ?? bundleApplicationID)?.uuidString), on: tx)
    }

    // MARK: Approvals across stages

    struct LinkedCase: Sendable {
        var record: CaseRecord
        var stage: ProjectStage
    }

    /// The cases filed under the project (a bundle application counts with each of its tasks).
    func approvals(of record: InvestmentProjectRecord, on db: any Database) async throws -> [LinkedCase] {
        let links = try await ProjectApprovalRecord.query(on: db).filter(\.$projectID == record.requireID()).sort(\.$createdAt).all()
        var found: [LinkedCase] = []
        for link in links {
            let stage = ProjectStage(rawValue: link.stage) ?? .landUsePlanning
            if let caseID = link.caseID, let record = try await CaseRecord.lean(caseID, on: db) {
                found.append(LinkedCase(record: record, stage: stage))
            }
            if let application = link.bundleApplicationID {
                for record in try await CaseRecord.query(on: db).filter(\.$bundleApplicationID == application).sort(\.$createdAt).all() {
                    found.append(LinkedCase(record: record, stage: stage))
                }
            }
        }
        return found
    }

    /// A case as the project rules see it: open, approved, denied or withdrawn, with the days it
    /// was accepted and decided (from its timeline).
    static func approval(_ linked: LinkedCase, events: [CaseEventRecord]) -> ProjectApproval {
        let record = linked.record
        let own = events.filter { $0.caseID == record.id }
        let accepted = own.first { $0.action == CaseAction.accept.rawValue }
        let decision = own.last { [CaseAction.approve, .approveOnTimeout, .deny].map(\.rawValue).contains($0.action) }
        let state: ProjectApproval.State
        switch record.state {
        case .withdrawn, .terminated, .notAccepted: state = record.state == .notAccepted ? .denied : .withdrawn
        case .denied: state = .denied
        default:
            if let decision { state = decision.action == CaseAction.deny.rawValue ? .denied : .approved } else { state = .open }
        }
        return ProjectApproval(
            id: record.id?.uuidString ?? "", itemName: record.itemName, department: record.departmentCode, stage: linked.stage, state: state,
            acceptedOn: accepted.map { LocalDate($0.at) }, decidedOn: decision.map { LocalDate($0.at) }, deadline: record.deadline.flatMap { try? LocalDate($0) })
    }

    /// A joint review as one approval of its stage: concluded with a pass (or conditions) approves.
    static func approval(_ record: JointReviewRecord, review: JointReview) -> ProjectApproval {
        let state: ProjectApproval.State = switch review.outcome {
        case .pass, .passWithConditions: .approved
        case .fail: .denied
        case nil: .open
        }
        return ProjectApproval(
            id: record.id?.uuidString ?? "", itemName: review.kind.chineseName + "：" + review.subject, department: review.leadDepartment,
            stage: record.stage.flatMap(ProjectStage.init(rawValue:)) ?? .landUsePlanning, state: state, acceptedOn: review.startedOn,
            decidedOn: review.resolution?.decidedOn ?? (review.state.isConcluded ? review.consolidation?.on : nil),
            deadline: record.deadline.flatMap { try? LocalDate($0) })
    }

    /// Every approval of the project (its cases and joint reviews) as the rules see them.
    func projectApprovals(_ record: InvestmentProjectRecord, on db: any Database) async throws -> (cases: [LinkedCase], reviews: [JointReviewRecord], approvals: [ProjectApproval]) {
        let cases = try await approvals(of: record, on: db)
        let ids = cases.compactMap(\.record.id)
        let events = ids.isEmpty ? [] : try await CaseEventRecord.query(on: db).filter(\.$caseID ~~ ids)
            .filter(\.$action ~~ [CaseAction.accept, .approve, .approveOnTimeout, .deny].map(\.rawValue)).sort(\.$at).all()
        let reviews = try await JointReviewRecord.query(on: db).filter(\.$projectID == record.requireID()).sort(\.$createdAt).all()
        let approvals = cases.map { Self.approval($0, events: events) } + (try reviews.map { Self.approval($0, review: try $0.review) })
        return (cases, reviews, approvals)
    }

    // MARK: Steps

    /// Moves the project to its next stage when every approval of this one is approved.
    func advance(_ code: String) async throws -> InvestmentProjectRecord {
        let ctx = self.ctx
        let service = self
        return try await ctx.write { tx in
            let record = try await service.visible(code, on: tx)
            try service.authorizeOwnerSide(record)
            let change = try ProjectRules.advance(try record.project, approvals: try await service.projectApprovals(record, on: tx).approvals)
            try record.take(change.project)
            record.updatedAt = ctx.now
            try await record.save(on: tx)
            try await AuditTrail.append(
                ctx.entry("project.advance", subjectType: "project", subjectID: record.code, owner: record.owner, after: change.description), on: tx)
            return record
        }
    }

    /// The owner's side (owner, their agents, the project's 全程代办员) or a window of its region.
    func authorizeOwnerSide(_ record: InvestmentProjectRecord) throws {
        if Policy.allows(ctx.actor, .applyForService, on: .applicant(record.ownerID)) { return }
        if record.proxyAgent == ctx.actor.accountName, try ProjectRules.mayActForOwner(record.project, account: ctx.actor.accountName) { return }
        try Policy.authorize(ctx.actor, .handleCaseAtWindow, on: record.owner)
    }

    /// 全程代办: the service centre assigns (or releases) a proxy agent to a major project.
    func assignProxy(_ code: String, _ body: ProxyRequest) async throws -> InvestmentProjectRecord {
        let ctx = self.ctx
        let service = self
        return try await ctx.write { tx in
            let record = try await service.visible(code, on: tx)
            try Policy.authorize(ctx.actor, .handleCaseAtWindow, on: record.owner)
            let change: ProjectChange
            if let account = body.account?.trimmingCharacters(in: .whitespaces), !account.isEmpty {
                guard let staff = try await StaffAccountRecord.query(on: tx).filter(\.$account == account).first(), !staff.disabled,
                    Policy.allows(.staff(account: staff.account, grants: staff.grants), .handleCaseAtWindow, on: record.owner)
                else {
                    throw DomainError.invalid(
                        "project.proxy_account", "代办员应为本项目所在地政务服务中心的在岗窗口人员。", fields: [FieldError(field: "account", message: "请填写窗口人员账号。")])
                }
                change = try ProjectRules.assignProxy(try record.project, account: account, by: ctx.audit.actor, at: ctx.now, reason: body.reason)
            } else {
                change = try ProjectRules.releaseProxy(try record.project, by: ctx.audit.actor, reason: body.reason)
            }
            try record.take(change.project)
            record.updatedAt = ctx.now
            try await record.save(on: tx)
            try await AuditTrail.append(
                ctx.entry("project.proxy", subjectType: "project", subjectID: record.code, owner: record.owner, after: change.description), on: tx)
            return record
        }
    }
}
