import Fluent
import Foundation
import Vapor
import YiwangCore

extension ProjectService {
    struct ProjectView: Content {
        struct Approval: Content {
            /// case, or jointReview.
            var kind: String
            var id: String
            var number: String?
            var itemName: String
            var departmentName: String
            var state: ProjectApproval.State
            var stateName: String
            var acceptedOn: String?
            var decidedOn: String?
            var deadline: String?
        }

        struct Stage: Content {
            var stage: ProjectStage
            var stageName: String
            var current: Bool
            var approvals: [Approval]
            var workingDays: Int?
        }

        var code: String
        var name: String
        var regionCode: String
        var address: String
        var investment: String
        var stage: ProjectStage
        var stageName: String
        var isMajor: Bool
        var proxyAgent: String?
        var stages: [Stage]
        /// Working days from the first acceptance to today (or to the last decision when nothing is open).
        var workingDaysSoFar: Int?
        var running: Bool
        var mayAdvance: Bool
        var mayAssignProxy: Bool
    }

    func view(_ record: InvestmentProjectRecord) async throws -> ProjectView {
        let project = try record.project
        let (cases, reviews, approvals) = try await projectApprovals(record, on: db)
        let calendar = try await ctx.calendar()
        // A year the calendar does not cover yet leaves the time unknown rather than the page down.
        let elapsed = (try? ProjectRules.elapsedWorkingDays(approvals, today: ctx.today, calendar: calendar)) ?? ProjectElapsed(total: nil, stages: [:])
        let names = try await DepartmentRecord.names(Array(Set(approvals.map(\.department))), on: db)
        var rows: [ProjectStage: [ProjectView.Approval]] = [:]
        for (linked, approval) in zip(cases, approvals) {
            rows[linked.stage, default: []].append(
                ProjectView.Approval(
                    kind: "case", id: approval.id, number: linked.record.number, itemName: approval.itemName,
                    departmentName: names[approval.department] ?? approval.department, state: approval.state, stateName: linked.record.state.chineseName,
                    acceptedOn: approval.acceptedOn?.description, decidedOn: approval.decidedOn?.description, deadline: approval.deadline?.description))
        }
        for (review, approval) in zip(reviews, approvals.dropFirst(cases.count)) {
            rows[approval.stage, default: []].append(
                ProjectView.Approval(
                    kind: "jointReview", id: approval.id, number: nil, itemName: approval.itemName, departmentName: names[approval.department] ?? approval.department,
                    state: approval.state, stateName: (try? review.review.state.chineseName) ?? "", acceptedOn: approval.acceptedOn?.description,
                    decidedOn: approval.decidedOn?.description, deadline: approval.deadline?.description))
        }
        let mayAdvance = project.stage.next != nil && (try? authorizeOwnerSide(record)) != nil
        return ProjectView(
            code: project.code.value, name: project.name, regionCode: project.regionCode, address: project.address, investment: project.investmentText,
            stage: project.stage, stageName: project.stage.chineseName, isMajor: project.isMajor, proxyAgent: project.proxyAgent?.account,
            stages: ProjectStage.allCases.map { stage in
                ProjectView.Stage(
                    stage: stage, stageName: stage.chineseName, current: stage == project.stage, approvals: rows[stage] ?? [],
                    workingDays: elapsed.stages[stage]?.workingDays)
            },
            workingDaysSoFar: elapsed.total?.workingDays, running: elapsed.total?.running ?? false, mayAdvance: mayAdvance,
            mayAssignProxy: project.isMajor && Policy.allows(ctx.actor, .handleCaseAtWindow, on: record.owner))
    }

    struct ProjectListing: Content {
        struct Summary: Content {
            var code: String
            var name: String
            var stage: ProjectStage
            var stageName: String
            var isMajor: Bool
        }

        var projects: [Summary]
    }

    /// The owner's projects, or those of the staff member's region (and the ones they are agent of).
    func list() async throws -> ProjectListing {
        let query = InvestmentProjectRecord.query(on: db)
        switch ctx.actor {
        case .applicant(let applicant):
            query.filter(\.$ownerID == applicant.principalID)
        case .staff:
            try Policy.authorizeSomewhere(ctx.actor, .readCases)
            let scopes = Policy.scopes(for: ctx.actor, .readCases)
            if let scopes {
                let prefixes = scopes.compactMap { $0.regionCode.flatMap { try? RegionCode($0).subtreePrefix } }
                query.group(.or) { group in
                    group.filter(\.$proxyAgent == ctx.actor.accountName)
                    for prefix in prefixes { group.filter(\.$regionCode =~ String(prefix.prefix(6))) }
                }
            }
        case .anonymous:
            throw DomainError(.unauthenticated, code: "access.unauthenticated", message: "请先登录。")
        }
        var records: [InvestmentProjectRecord] = []
        // Only what the actor may open: the region filter above is a first cut, the project's own rule decides.
        for record in try await query.sort(\.$createdAt, .descending).limit(200).all() where try await mayRead(record, on: db) { records.append(record) }
        return ProjectListing(projects: try records.map { record in
            let project = try record.project
            return .init(code: project.code.value, name: project.name, stage: project.stage, stageName: project.stage.chineseName, isMajor: project.isMajor)
        })
    }
}

/// `/api/v1/projects` (register, read across stages, the next stage, 全程代办) and
/// `/api/v1/joint-reviews` (opinions, consolidation, the lead's resolution).
enum ProjectAPIController {
    static func code(_ request: Request) throws -> String {
        guard let code = request.parameters.get("code"), !code.isEmpty, code.count <= 40 else {
            throw DomainError.notFound("project.not_found", "未找到该投资项目。")
        }
        return code
    }

    @Sendable static func register(_ request: Request) async throws -> Response {
        let service = ProjectService(try request.domain)
        let record = try await service.register(try request.content.decode(NewProjectRequest.self))
        let response = try await service.view(record).encodeResponse(status: .created, for: request)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/projects/\(record.code)")
        return response
    }

    @Sendable static func list(_ request: Request) async throws -> ProjectService.ProjectListing {
        try await ProjectService(try request.domain).list()
    }

    @Sendable static func show(_ request: Request) async throws -> ProjectService.ProjectView {
        let service = ProjectService(try request.domain)
        return try await service.view(try await service.visible(try code(request)))
    }

    @Sendable static func advance(_ request: Request) async throws -> ProjectService.ProjectView {
        let service = ProjectService(try request.domain)
        return try await service.view(try await service.advance(try code(request)))
    }

    @Sendable static func proxy(_ request: Request) async throws -> ProjectService.ProjectView {
        let service = ProjectService(try request.domain)
        return try await service.view(try await service.assignProxy(try code(request), try request.content.decode(ProxyRequest.self)))
    }

    @Sendable static func startReview(_ request: Request) async throws -> Response {
        let service = ProjectService(try request.domain)
        let record = try await service.startReview(try code(request), try request.content.decode(NewJointReviewRequest.self))
        return try await service.reviewView(record, review: try record.review, on: request.db).encodeResponse(status: .created, for: request)
    }

    static func reviewID(_ request: Request) throws -> UUID {
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw DomainError.notFound("joint_review.not_found", "未找到该联合审查。")
        }
        return id
    }

    @Sendable static func review(_ request: Request) async throws -> ProjectService.JointReviewView {
        let service = ProjectService(try request.domain)
        let (record, review) = try await service.reviewRecord(try reviewID(request), on: request.db)
        return try await service.reviewView(record, review: review, on: request.db)
    }

    @Sendable static func reviewStep(_ request: Request) async throws -> ProjectService.JointReviewView {
        let service = ProjectService(try request.domain)
        let record = try await service.reviewStep(try reviewID(request), try request.content.decode(JointReviewStepRequest.self))
        return try await service.reviewView(record, review: try record.review, on: request.db)
    }
}
