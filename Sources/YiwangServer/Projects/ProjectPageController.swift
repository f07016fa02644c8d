import Fluent
import Foundation
import Vapor
import YiwangCore

/// The project's page (every approval across the four stages with its deadline and state, the
/// time so far, its joint reviews) for the owner's side at `/me/projects` and for staff at
/// `/admin/projects`, with the joint review's forms for the departments that take part.
enum ProjectPageController {
    struct ListPage: Encodable {
        var page: PageContext
        var listing: ProjectService.ProjectListing
        var base: String
        var staff: Bool
    }

    struct ProjectPage: Encodable {
        var page: PageContext
        var project: ProjectService.ProjectView
        var reviews: [ProjectService.JointReviewView]
        var base: String
        var staff: Bool
        var notice: String?
        var error: String?
        var verdicts: [Choice]
    }

    struct Choice: Encodable {
        var value: String
        var name: String
    }

    @Sendable static func mine(_ request: Request) async throws -> Response {
        guard request.applicant != nil else { return request.redirect(to: "/signin?next=" + request.returnTo) }
        return try await list(request, staff: false)
    }

    @Sendable static func desk(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .readCases) { return redirect }
        return try await list(request, staff: true)
    }

    static func list(_ request: Request, staff: Bool) async throws -> Response {
        let listing = try await ProjectService(try request.domain).list()
        return try await request.view.render("projects/list", ListPage(
            page: PageContext(request: request, title: staff ? "投资项目" : "我的投资项目"), listing: listing, base: staff ? "/admin/projects/" : "/me/projects/",
            staff: staff)).encodeResponse(for: request)
    }

    @Sendable static func myProject(_ request: Request) async throws -> Response {
        guard request.applicant != nil else { return request.redirect(to: "/signin?next=" + request.returnTo) }
        return try await render(request, staff: false, notice: notice(request))
    }

    @Sendable static func deskProject(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .readCases) { return redirect }
        return try await render(request, staff: true, notice: notice(request))
    }

    static func notice(_ request: Request) -> String? {
        if (try? request.query.get(String.self, at: "advanced")) != nil { return "项目已进入下一阶段。" }
        if (try? request.query.get(String.self, at: "reviewed")) != nil { return "已记录。" }
        return nil
    }

    static func render(_ request: Request, staff: Bool, notice: String? = nil, error: DomainError? = nil) async throws -> Response {
        _ = request.csrfToken()
        let service = ProjectService(try request.domain)
        let record = try await service.visible(try ProjectAPIController.code(request))
        let records = try await JointReviewRecord.query(on: request.db).filter(\.$projectID == record.requireID()).sort(\.$createdAt).all()
        var reviews: [ProjectService.JointReviewView] = []
        for review in records { reviews.append(try await service.reviewView(review, review: try review.review, on: request.db)) }
        let page = ProjectPage(
            page: PageContext(request: request, title: record.name), project: try await service.view(record), reviews: reviews,
            base: staff ? "/admin/projects/" : "/me/projects/", staff: staff, notice: notice, error: error?.message,
            verdicts: ReviewVerdict.allCases.map { Choice(value: $0.rawValue, name: $0.chineseName) })
        let response = try await request.view.render("projects/project", page).encodeResponse(for: request)
        if let error { response.status = HTTPResponseStatus(statusCode: ProblemMiddleware.statusCode(for: error.kind)) }
        return response
    }

    /// The next stage, from the page (the owner's side or a window of the project's region).
    @Sendable static func advance(_ request: Request) async throws -> Response {
        guard request.applicant != nil || request.staffAccount != nil else { return request.redirect(to: "/signin") }
        struct Form: Content { var csrf: String? }
        try request.verifyCSRF(try request.content.decode(Form.self).csrf)
        let staff = request.applicant == nil
        let code = try ProjectAPIController.code(request)
        do {
            _ = try await ProjectService(try request.domain).advance(code)
            return request.redirect(to: (staff ? "/admin/projects/" : "/me/projects/") + code + "?advanced=1")
        } catch let error as DomainError where error.kind != .notFound {
            return try await render(request, staff: staff, error: error)
        }
    }

    /// A joint review's step from the project page (staff of the departments taking part).
    @Sendable static func reviewStep(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .readCases) { return redirect }
        struct Form: Content {
            var csrf: String?
            var review: UUID?
            var step: String?
            var department: String?
            var verdict: String?
            var text: String?
            var conditions: String?
            var reason: String?
        }
        let form = try request.content.decode(Form.self)
        try request.verifyCSRF(form.csrf)
        let code = try ProjectAPIController.code(request)
        do {
            guard let id = form.review, let step = form.step else { throw DomainError.invalid("joint_review.step", "请选择要办理的联合审查步骤。") }
            let body = JointReviewStepRequest(
                step: step, department: form.department?.nilIfEmpty, verdict: form.verdict.flatMap(ReviewVerdict.init(rawValue:)), text: form.text,
                conditions: form.conditions?.nilIfEmpty, reason: form.reason?.nilIfEmpty)
            _ = try await ProjectService(try request.domain).reviewStep(id, body)
            return request.redirect(to: "/admin/projects/" + code + "?reviewed=1#review-\(id.uuidString)")
        } catch let error as DomainError where error.kind != .notFound {
            return try await render(request, staff: true, error: error)
        }
    }
}
