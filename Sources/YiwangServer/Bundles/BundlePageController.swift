import Fluent
import Foundation
import Vapor
import YiwangCore

/// The pages of 一件事一次办: the list and the merged guide (with the situation questions), the
/// one merged form, the applicant's one page for the whole application, and the lead window's
/// desk that accepts it once.
enum BundlePageController {
    struct ListPage: Encodable {
        var page: PageContext
        var bundles: [BundleCatalog.Summary]
    }

    @Sendable static func list(_ request: Request) async throws -> View {
        try await request.view.render(
            "bundles/list", ListPage(page: PageContext(request: request, title: "一件事一次办"), bundles: try await BundleCatalog(try request.domain).list()))
    }

    struct QuestionInput: Encodable {
        struct Option: Encodable {
            var value: String
            var id: String
            var checked: Bool
        }

        var key: String
        var text: String
        var options: [Option]
    }

    struct MemberRow: Encodable {
        var code: String
        var name: String
        var departmentName: String
        var roleName: String
        var optional: Bool
        var chosen: Bool
        var workingDays: Int
        var waitsFor: String?
    }

    struct GuidePage: Encodable {
        var page: PageContext
        var guide: BundleCatalog.GuideView
        var questions: [QuestionInput]
        var members: [MemberRow]
        var chosenCount: Int
        var query: String
        var showMapping: Bool
        var error: String?
    }

    /// The choice a page carries: the query's answers and ticked optional members.
    static func choice(_ request: Request) -> BundleChoice? { BundleAPIController.choice(request.url.query) }

    @Sendable static func guide(_ request: Request) async throws -> Response {
        let code = try BundleAPIController.code(request)
        let catalog = BundleCatalog(try request.domain)
        let chosen = choice(request)
        var error: DomainError?
        let guide: BundleCatalog.GuideView
        do {
            guide = try await catalog.guide(code, choice: chosen)
        } catch let refused as DomainError where refused.code == "bundle.choice_invalid" {
            // A half-answered situation shows the guide with the question to answer.
            error = refused
            guide = try await catalog.guide(code, choice: nil)
        }
        let names = Dictionary(guide.members.map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
        let page = GuidePage(
            page: PageContext(request: request, title: guide.name), guide: guide,
            questions: guide.questions.map { question in
                QuestionInput(
                    key: question.key, text: question.text,
                    options: question.options.enumerated().map { index, option in
                        .init(value: option, id: "q-\(question.key)-\(index)", checked: chosen?.answers[question.key] == option)
                    })
            },
            members: guide.members.map { member in
                MemberRow(
                    code: member.code, name: member.name, departmentName: member.departmentName, roleName: member.roleName, optional: member.role == .optional,
                    chosen: member.chosen, workingDays: member.workingDays,
                    waitsFor: member.waitsFor.isEmpty ? nil : member.waitsFor.compactMap { names[$0] }.joined(separator: "、"))
            },
            chosenCount: guide.members.filter(\.chosen).count, query: error == nil ? (request.url.query ?? "") : "",
            showMapping: Policy.mayAttempt(request.actor, .readCases), error: error?.message)
        let response = try await request.view.render("bundles/guide", page).encodeResponse(for: request)
        if error != nil { response.status = .badRequest }
        return response
    }

    struct ApplyPage: Encodable {
        var page: PageContext
        var guide: BundleCatalog.GuideView
        var chosenNames: [String]
        var inputs: [FormInput]
        var choice: String
        var idempotencyKey: String
        var error: String?
        var actingFor: String?
    }

    @Sendable static func applyPage(_ request: Request) async throws -> Response {
        guard let (record, actor) = request.applicant else {
            if request.staffAccount != nil { throw DomainError.forbidden("工作人员请通过综合窗口为申请人办理。") }
            return request.redirect(to: "/signin?next=" + request.returnTo)
        }
        let subject = try await ApplicantCasePageController.applicantOf(request, record: record, actor: actor)
        return try await renderApply(request, applicant: subject, actingFor: actor.actingFor?.companyName, query: request.url.query ?? "")
    }

    static func renderApply(
        _ request: Request, applicant: ApplicantRecord, actingFor: String?, query: String, typed: [String: JSONValue] = [:], error: DomainError? = nil
    ) async throws -> Response {
        _ = request.csrfToken()
        let code = try BundleAPIController.code(request)
        let guide = try await BundleCatalog(try request.domain).guide(code, choice: BundleAPIController.choice(query))
        let profile = ProfileValue.of(applicant, keys: try request.application.keyRing)
        let page = ApplyPage(
            page: PageContext(request: request, title: "申请：" + guide.name), guide: guide, chosenNames: guide.members.filter(\.chosen).map(\.name),
            inputs: FormInput.inputs(guide.form, values: typed, profile: profile, errors: error?.fieldErrors ?? []), choice: query,
            idempotencyKey: UUID().uuidString, error: error?.message, actingFor: actingFor)
        let response = try await request.view.render("bundles/apply", page).encodeResponse(for: request)
        if let error { response.status = HTTPResponseStatus(statusCode: ProblemMiddleware.statusCode(for: error.kind)) }
        return response
    }

    /// Files the application with the page's idempotency key (a double click files one), then the
    /// applicant gives the materials once on the application's page.
    @Sendable static func apply(_ request: Request) async throws -> Response {
        guard let (record, actor) = request.applicant else { return request.redirect(to: "/signin?next=" + request.returnTo) }
        let posted = try request.content.decode([String: String].self)
        try request.verifyCSRF(posted["csrf"])
        let code = try BundleAPIController.code(request)
        let query = posted["choice"] ?? ""
        let subject = try await ApplicantCasePageController.applicantOf(request, record: record, actor: actor)
        let chosen = BundleAPIController.choice(query)
        let guide = try await BundleCatalog(try request.domain).guide(code, choice: chosen)
        let values = FormInput.values(from: posted, schema: guide.form, profile: ProfileValue.of(subject, keys: try request.application.keyRing))
        do {
            let body = NewBundleApplicationRequest(
                bundle: code, answers: chosen?.answers, optionalMembers: chosen.map { $0.optionalMembers.sorted() }, form: values)
            let (created, _) = try await BundleService(try request.domain).file(body, idempotencyKey: posted["idempotencyKey"])
            return request.redirect(to: "/me/bundles/\(try created.requireID().uuidString)?filed=1")
        } catch let error as DomainError where error.kind == .invalid {
            return try await renderApply(request, applicant: subject, actingFor: actor.actingFor?.companyName, query: query, typed: values, error: error)
        }
    }

    // MARK: One application

    struct ApplicationPage: Encodable {
        var page: PageContext
        var application: BundleService.ApplicationView
        var staff: Bool
        var base: String
        var formLines: [FormLine]
        var mayGiveMaterials: Bool
        var mayAccept: Bool
        var mayWithdraw: Bool
        var mayAnswer: Bool
        var notice: String?
        var error: String?
    }

    struct FormLine: Encodable {
        var label: String
        var value: String
        var members: String?
    }

    static func applicationID(_ request: Request) throws -> UUID { try BundleAPIController.applicationID(request) }

    static func render(_ request: Request, _ id: UUID, staff: Bool, notice: String? = nil, error: DomainError? = nil) async throws -> Response {
        _ = request.csrfToken()
        let service = BundleService(try request.domain)
        let (record, tasks, whole) = try await service.visible(id)
        let view = try await service.view(record, tasks: tasks, whole: whole)
        // The merged form as filed (masked), with the members each answer fills for staff.
        var lines: [FormLine] = []
        if whole, let published = try await BundleVersionRecord.find(record.versionID, on: request.db) {
            let bundle = try published.bundle
            let chosen = try bundle.choose(try record.choice)
            var forms: [String: FormSchema] = [:]
            for member in chosen { if let guide = tasks.guides[member.code] { forms[member.code] = guide.form } }
            let merged = try BundleForm.compose(bundle, choice: try record.choice, forms: forms)
            let names = Dictionary(chosen.map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
            lines = merged.mapping.compactMap { mapping in
                guard let value = view.form[mapping.field.key] else { return nil }
                let text = value == .bool(true) ? "是" : value == .bool(false) ? "否" : value.scalarText ?? ""
                return FormLine(
                    label: mapping.field.label, value: text,
                    members: staff ? mapping.sources.compactMap { names[$0.member] }.joined(separator: "、") : nil)
            }
        }
        let page = ApplicationPage(
            page: PageContext(request: request, title: view.bundleName + (view.number.map { " " + $0 } ?? "")), application: view, staff: staff,
            base: staff ? "/admin/bundles/" : "/me/bundles/", formLines: lines,
            // Materials while a task can still take them: before acceptance, during a correction, or
            // for a task that waits to start.
            mayGiveMaterials: whole && Policy.mayFile(request.actor, case: record.subject)
                && ([.submitted, .correctionRequested].contains(record.state) || (record.state == .accepted && tasks.cases.values.contains { $0.state == .draft })),
            mayAccept: view.allowedActions.contains(.accept), mayWithdraw: view.allowedActions.contains(.withdraw),
            mayAnswer: view.allowedActions.contains(.answerCorrection), notice: notice, error: error?.message)
        let response = try await request.view.render("bundles/application", page).encodeResponse(for: request)
        if let error { response.status = HTTPResponseStatus(statusCode: ProblemMiddleware.statusCode(for: error.kind)) }
        return response
    }

    static func notice(_ request: Request) -> String? {
        if (try? request.query.get(String.self, at: "filed")) != nil { return "已提交。请在下方一次上传全部材料，牵头部门将一次受理。" }
        if let done = (try? request.query.get(String.self, at: "done")).flatMap(BundleApplicationAction.init(rawValue:)) { return "已完成：\(done.chineseName)。" }
        if let material = try? request.query.get(String.self, at: "uploaded") { return "已收到材料“\(material)”，已用于需要它的每个事项。" }
        return nil
    }

    @Sendable static func mine(_ request: Request) async throws -> Response {
        guard request.applicant != nil else { return request.redirect(to: "/signin?next=" + request.returnTo) }
        return try await renderList(request, staff: false)
    }

    @Sendable static func desk(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .readCases) { return redirect }
        return try await renderList(request, staff: true)
    }

    struct ApplicationsPage: Encodable {
        var page: PageContext
        var listing: BundleService.Listing
        var staff: Bool
        var base: String
        var previousPage: Int?
        var nextPage: Int?
    }

    static func renderList(_ request: Request, staff: Bool) async throws -> Response {
        let raw = (try? request.query.get(String.self, at: "state")) ?? ""
        let state = raw.isEmpty ? nil : BundleApplicationState(rawValue: raw)
        if !raw.isEmpty && state == nil { throw DomainError.invalid("bundle.state", "没有这种一件事申请状态。") }
        let paging = try PageRequest(page: try? request.query.get(Int.self, at: "page"), per: 20)
        let listing = try await BundleService(try request.domain).list(state: state, page: paging)
        return try await request.view.render("bundles/applications", ApplicationsPage(
            page: PageContext(request: request, title: staff ? "一件事受理台" : "我的一件事"), listing: listing, staff: staff,
            base: staff ? "/admin/bundles/" : "/me/bundles/", previousPage: listing.page > 1 ? listing.page - 1 : nil,
            nextPage: listing.page * listing.per < listing.total ? listing.page + 1 : nil)).encodeResponse(for: request)
    }

    @Sendable static func myApplication(_ request: Request) async throws -> Response {
        guard request.applicant != nil else { return request.redirect(to: "/signin?next=" + request.returnTo) }
        return try await render(request, try applicationID(request), staff: false, notice: notice(request))
    }

    @Sendable static func deskApplication(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .readCases) { return redirect }
        return try await render(request, try applicationID(request), staff: true, notice: notice(request))
    }

    /// The application's own steps from its page (accept and refuse at the lead window; withdraw
    /// and answer the correction notice for the applicant).
    static func act(_ request: Request, staff: Bool) async throws -> Response {
        struct Form: Content {
            var csrf: String?
            var action: String?
            var reason: String?
            var creditReason: String?
        }
        let form = try request.content.decode(Form.self)
        try request.verifyCSRF(form.csrf)
        let id = try applicationID(request)
        do {
            guard let action = form.action.flatMap(BundleApplicationAction.init(rawValue:)) else {
                throw DomainError.invalid("bundle.action", "请选择要执行的操作。")
            }
            _ = try await BundleService(try request.domain).act(id, action, reason: form.reason, creditReason: form.creditReason)
            return request.redirect(to: (staff ? "/admin/bundles/" : "/me/bundles/") + id.uuidString + "?done=" + action.rawValue)
        } catch let error as DomainError where error.kind != .notFound {
            return try await render(request, id, staff: staff, error: error)
        }
    }

    @Sendable static func applicantAct(_ request: Request) async throws -> Response {
        guard request.applicant != nil else { return request.redirect(to: "/signin") }
        return try await act(request, staff: false)
    }

    @Sendable static func deskAct(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .readCases) { return redirect }
        return try await act(request, staff: true)
    }

    /// One merged material from the page (multipart), given once for every task that asks it.
    @Sendable static func upload(_ request: Request) async throws -> Response {
        guard request.applicant != nil || request.staffAccount != nil else { return request.redirect(to: "/signin") }
        let staff = request.applicant == nil
        struct Form: Content {
            var csrf: String?
            var material: Int?
            var file: File?
        }
        let id = try applicationID(request)
        let form: Form
        do { form = try request.content.decode(Form.self) } catch {
            return try await render(request, id, staff: staff, error: .invalid("material.form", "上传内容不完整，请重新选择文件。"))
        }
        try request.verifyCSRF(form.csrf)
        do {
            guard let position = form.material else { throw DomainError.invalid("material.index", "请选择材料。") }
            guard let file = form.file, file.data.readableBytes > 0 else {
                throw DomainError.invalid("material.missing_file", "请选择要上传的文件。")
            }
            let service = BundleService(try request.domain)
            let (_, tasks) = try await service.supplyMaterial(id, position: position, upload: Array(file.data.readableBytesView), fileName: file.filename)
            let name = tasks.materials[position - 1].requirement.name  // the position was checked by the upload
            return request.redirect(
                to: (staff ? "/admin/bundles/" : "/me/bundles/") + id.uuidString + "?uploaded=" + (name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
                    + "#material-\(position)")
        } catch let error as DomainError where error.kind != .notFound {
            return try await render(request, id, staff: staff, error: error)
        }
    }
}
