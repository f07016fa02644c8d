import Fluent
import Foundation
import Vapor
import YiwangCore

/// The staff side of cases (一窗受理, 受审分离, 统一出件): the work queue by urgency, each case
/// with the actions the policy allows, the window that files for an applicant who comes to the
/// hall, and the department inbox.
enum CaseDeskPageController {
    struct QueuePage: Encodable {
        var page: PageContext
        var listing: CaseService.Listing
        var state: String
        var states: [ApplicantCasePageController.StateOption]
        var previousPage: Int?
        var nextPage: Int?
        var mayFileAtWindow: Bool
    }

    @Sendable static func queue(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .readCases) { return redirect }
        let listing = try await ApplicantCasePageController.listing(request)
        let state = (try? request.query.get(String.self, at: "state")) ?? ""
        return try await request.view.render("cases/queue", QueuePage(
            page: PageContext(request: request, title: "办件工作台"), listing: listing, state: state,
            states: ApplicantCasePageController.stateOptions(state), previousPage: listing.page > 1 ? listing.page - 1 : nil,
            nextPage: listing.page * listing.per < listing.total ? listing.page + 1 : nil,
            mayFileAtWindow: Policy.mayAttempt(request.actor, .handleCaseAtWindow))).encodeResponse(for: request)
    }

    @Sendable static func show(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .readCases) { return redirect }
        return try await CasePages.render(request, try CasePages.caseID(request), staff: true, notice: CasePages.notice(request))
    }

    @Sendable static func act(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .readCases) { return redirect }
        return try await CasePages.act(request, staff: true)
    }

    /// 延期 from the case page (approvers).
    @Sendable static func extend(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .decideCase) { return redirect }
        struct Form: Content {
            var csrf: String?
            var workingDays: Int?
            var reason: String?
        }
        let id = try CasePages.caseID(request)
        let form: Form
        do { form = try request.content.decode(Form.self) } catch {
            return try await CasePages.render(request, id, staff: true, error: .invalid("case.extension_days", "延长期限应为整数个工作日。"))
        }
        try request.verifyCSRF(form.csrf)
        do {
            _ = try await CaseService(try request.domain).extendDeadline(id, workingDays: form.workingDays ?? 0, reason: form.reason)
            return request.redirect(to: "/admin/cases/\(id.uuidString)?extended=1")
        } catch let error as DomainError where error.kind != .notFound {
            return try await CasePages.render(request, id, staff: true, error: error)
        }
    }

    @Sendable static func upload(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .handleCaseAtWindow) { return redirect }
        return try await CasePages.upload(request, staff: true)
    }

    @Sendable static func saveForm(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .handleCaseAtWindow) { return redirect }
        return try await CasePages.saveForm(request, staff: true)
    }

    // MARK: The window

    struct WindowPage: Encodable {
        struct ItemOption: Encodable {
            var code: String
            var name: String
        }

        var page: PageContext
        var applicant: ApplicantView?
        var items: [ItemOption]
        /// The number looked up, masked: the full number never comes back into the page.
        var identifierMasked: String?
        var registerName: String
        var showRegister: Bool
        var error: String?
        var errors: [FieldError]
        /// 窗口接待（一次一评）: the clerk's window and its visit.
        var visits: EvaluationDeskVisits.Panel
    }

    static func renderWindow(
        _ request: Request, applicant: ApplicantRecord? = nil, showRegister: Bool = false, name: String = "", error: DomainError? = nil,
        visitNotice: String? = nil
    ) async throws -> Response {
        _ = request.csrfToken()
        var items: [WindowPage.ItemOption] = []
        if applicant != nil {
            // Items this clerk may file: published, in the departments and regions of their window grant.
            let published = try await ItemRecord.query(on: request.db).filter(\.$publishedVersionID != nil).sort(\.$name).all()
            items = published.filter {
                Policy.allows(request.actor, .handleCaseAtWindow, on: ResourceOwner(departmentCreditCode: $0.departmentCode, regionCode: $0.regionCode))
            }.map { WindowPage.ItemOption(code: $0.implementationCode, name: $0.name) }
        }
        let visits = try await EvaluationDeskVisits.panel(request, applicant: applicant, notice: visitNotice)
        let response = try await request.view.render("cases/window", WindowPage(
            page: PageContext(request: request, title: "综合窗口受理"), applicant: applicant.map { ApplicantView($0) }, items: items,
            identifierMasked: showRegister ? (try pendingIdentifier(request)).map { PersonalData.mask($0, as: .idNumber) } : nil,
            registerName: name, showRegister: showRegister, error: error?.message,
            errors: error?.fieldErrors ?? [],
            visits: visits)).encodeResponse(for: request)
        if let error {
            response.status = HTTPResponseStatus(statusCode: ProblemMiddleware.statusCode(for: error.kind))
            if let retryAfter = error.retryAfter { response.headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter)) }
        }
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    @Sendable static func window(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .handleCaseAtWindow) { return redirect }
        return try await renderWindow(request)
    }

    /// Finds the applicant by the ID number or credit code read from their card (audited, like the API look-up).
    @Sendable static func lookUp(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .handleCaseAtWindow) { return redirect }
        struct Form: Content {
            var csrf: String?
            var identifier: String?
        }
        let form = try request.content.decode(Form.self)
        try request.verifyCSRF(form.csrf)
        let typed = (form.identifier ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        do {
            let record = try await IdentityAPIController.lookUpApplicant(request, typed)
            request.session.data[Self.pendingIdentifier] = nil
            return try await renderWindow(request, applicant: record)
        } catch let error as DomainError where error.code == "applicant.not_found" {
            // Kept in the session for the registration that may follow, never echoed into the page.
            let person = ResidentIDNumber.isValid(typed)
            request.session.data[Self.pendingIdentifier] = person ? try request.application.keyRing.seal(typed) : nil
            return try await renderWindow(request, showRegister: person, error: error)
        } catch let error as DomainError where error.kind == .invalid {
            return try await renderWindow(request, error: error)
        }
    }

    /// The ID number looked up and not found, kept (sealed: sessions are rows in the database)
    /// for the registration that may follow.
    static let pendingIdentifier = "window.identifier"

    static func pendingIdentifier(_ request: Request) throws -> String? {
        guard let sealed = request.session.data[Self.pendingIdentifier] else { return nil }
        return try? request.application.keyRing.open(sealed)
    }

    /// Registers a person who comes to the hall without an account: the ID number just looked up,
    /// name and phone, checked as online. The account serves the hall; signing in online needs a
    /// password, which the platform cannot yet hand over (see docs/cases.md).
    @Sendable static func register(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .handleCaseAtWindow) { return redirect }
        struct Form: Content {
            var csrf: String?
            var name: String?
            var phone: String?
        }
        let form = try request.content.decode(Form.self)
        try request.verifyCSRF(form.csrf)
        try request.authorizeSomewhere(.lookUpApplicants)
        guard let typed = try pendingIdentifier(request) else {
            return try await renderWindow(request, error: .invalid("applicant.identifier", "请先输入申请人的公民身份号码查找，未找到时再登记。"))
        }
        do {
            let record = try await IdentityService(try request.domain).registerPersonAtWindow(idNumber: typed, name: form.name ?? "", phone: form.phone ?? "")
            request.session.data[Self.pendingIdentifier] = nil
            return try await renderWindow(request, applicant: record)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict || error.kind == .unavailable {
            return try await renderWindow(request, showRegister: true, name: form.name ?? "", error: error)
        }
    }

    /// The application form for the chosen item, filled in at the window for the applicant.
    @Sendable static func applyPage(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .handleCaseAtWindow) { return redirect }
        let (applicant, code) = try await chosen(request, applicantText: try? request.query.get(String.self, at: "applicant"), code: try? request.query.get(String.self, at: "item"))
        return try await ApplicantCasePageController.renderApply(
            request, code: code, applicant: applicant, actingFor: nil, action: "/admin/window/apply?applicant=\(applicant.id!.uuidString)&item=\(code)",
            applicantName: applicant.name)
    }

    static func chosen(_ request: Request, applicantText: String?, code: String?) async throws -> (ApplicantRecord, String) {
        guard let id = applicantText.flatMap(UUID.init(uuidString:)), let applicant = try await ApplicantRecord.find(id, on: request.db) else {
            throw DomainError.notFound("applicant.not_found", "未找到该申请人，请重新查找。")
        }
        guard let code, !code.isEmpty else { throw DomainError.invalid("case.item_required", "请选择要办理的事项。") }
        return (applicant, code.uppercased())
    }

    @Sendable static func apply(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .handleCaseAtWindow) { return redirect }
        let (applicant, code) = try await chosen(request, applicantText: try? request.query.get(String.self, at: "applicant"), code: try? request.query.get(String.self, at: "item"))
        let posted = try request.content.decode([String: String].self)
        try request.verifyCSRF(posted["csrf"])
        let (_, guide, _) = try await ApplicantCasePageController.publishedGuide(request, code: code)
        let values = FormInput.values(from: posted, schema: guide.form, profile: ProfileValue.of(applicant, keys: try request.application.keyRing))
        do {
            let body = NewCaseRequest(item: code, form: values, commitment: posted["commitment"] == "on" ? true : nil, applicant: applicant.id, submit: false)
            let (created, _, _) = try await CaseService(try request.domain).create(body, idempotencyKey: posted["idempotencyKey"])
            return request.redirect(to: "/admin/cases/\(created.id!.uuidString)?created=1")
        } catch let error as DomainError where error.kind == .invalid {
            return try await ApplicantCasePageController.renderApply(
                request, code: code, applicant: applicant, actingFor: nil, typed: values, error: error,
                action: "/admin/window/apply?applicant=\(applicant.id!.uuidString)&item=\(code)", applicantName: applicant.name)
        }
    }

    // MARK: Inbox

    struct InboxPage: Encodable {
        var page: PageContext
        var messages: [NotificationController.InboxEntry]
    }

    @Sendable static func inbox(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .readCases) { return redirect }
        return try await request.view.render("cases/inbox", InboxPage(
            page: PageContext(request: request, title: "部门消息"), messages: try await NotificationController.entries(request, limit: 100))).encodeResponse(for: request)
    }
}
