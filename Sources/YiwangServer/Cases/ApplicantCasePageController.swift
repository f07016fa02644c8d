import Fluent
import Foundation
import Vapor
import YiwangCore

/// The applicant's pages: apply from a guide (form from the schema, pre-filled, kept as a draft),
/// "my cases", and each case with its timeline, materials, corrections and documents.
enum ApplicantCasePageController {
    struct ApplyPage: Encodable {
        var page: PageContext
        var code: String
        var name: String
        var departmentName: String
        var inputs: [FormInput]
        var commitmentBased: Bool
        var materials: [String]
        var idempotencyKey: String
        var error: String?
        var actingFor: String?
        var action: String
        var applicantName: String?
        /// The form has fields the shared registries can fill: offer it, and say how it went.
        var offersShared: Bool
        var sharedFilled: Bool
        var sharedNotice: String?
        var sharedAction: String
    }

    static func publishedGuide(_ request: Request, code: String) async throws -> (ItemRecord, ServiceGuide, String) {
        guard let item = try await ItemRecord.query(on: request.db).filter(\.$implementationCode == code.uppercased()).first(),
            let versionID = item.publishedVersionID, let version = try await ItemVersionRecord.find(versionID, on: request.db)
        else { throw DomainError.notFound("case.item_not_found", "未找到该事项。") }
        let department = try await DepartmentRecord.query(on: request.db).filter(\.$creditCode == item.departmentCode).first()
        return (item, try version.guide(), department?.name ?? item.departmentCode)
    }

    static func renderApply(
        _ request: Request, code: String, applicant: ApplicantRecord, actingFor: String?, typed: [String: JSONValue] = [:], error: DomainError? = nil,
        action: String, applicantName: String? = nil, sharedConsent: Bool = false
    ) async throws -> Response {
        _ = request.csrfToken()
        let (item, guide, departmentName) = try await publishedGuide(request, code: code)
        var profile = ProfileValue.of(applicant, keys: try request.application.keyRing)
        // 数据共享: fields marked with a registry source are filled from it only when the person
        // asks (consent, a form they post), and each read is logged for them. Online only: at the
        // window the clerk types what the applicant shows.
        let sharedSources = applicantName == nil ? Set(guide.form.fields.compactMap(\.prefill)).intersection([.sharedPopulation, .sharedLegalPerson]) : []
        var sharedFilled = false
        var sharedNotice: String?
        if !sharedSources.isEmpty, sharedConsent {
            do {
                let found = try await DataSharingService(try request.domain).prefill(for: applicant, sources: sharedSources)
                for (source, value) in found { profile[source] = ProfileValue(value: value, masked: value, isSensitive: false) }
                sharedFilled = !found.isEmpty
                if found.isEmpty { sharedNotice = "共享库中没有可填写的信息，请手动填写。" }
            } catch let error as DomainError {
                sharedNotice = error.message + " 您也可以手动填写。"
            }
        }
        let page = ApplyPage(
            page: PageContext(request: request, title: "申报：" + guide.name), code: item.implementationCode, name: guide.name,
            departmentName: departmentName, inputs: FormInput.inputs(guide.form, values: typed, profile: profile, errors: error?.fieldErrors ?? []),
            commitmentBased: guide.commitmentBased, materials: guide.materialsToSubmit.map(\.name), idempotencyKey: UUID().uuidString,
            error: error?.message, actingFor: actingFor, action: action, applicantName: applicantName, offersShared: !sharedSources.isEmpty,
            sharedFilled: sharedFilled, sharedNotice: sharedNotice, sharedAction: "/items/\(item.implementationCode)/apply/shared")
        let response = try await request.view.render("cases/apply", page).encodeResponse(for: request)
        if let error { response.status = HTTPResponseStatus(statusCode: ProblemMiddleware.statusCode(for: error.kind)) }
        return response
    }

    /// The applicant's consent to fill the form from the shared registries (a posted form, so a
    /// link elsewhere cannot read registries in their name).
    @Sendable static func applyWithSharedData(_ request: Request) async throws -> Response {
        struct Form: Decodable { var csrf: String? }
        try request.verifyCSRF(try request.content.decode(Form.self).csrf)
        let code = request.parameters.get("code") ?? ""
        guard let (record, actor) = request.applicant else { return request.redirect(to: "/signin?next=" + request.returnTo) }
        let subject = try await applicantOf(request, record: record, actor: actor)
        return try await renderApply(
            request, code: code, applicant: subject, actingFor: actor.actingFor?.companyName, action: "/items/\(code)/apply", sharedConsent: true)
    }

    @Sendable static func applyPage(_ request: Request) async throws -> Response {
        let code = request.parameters.get("code") ?? ""
        guard let (record, actor) = request.applicant else {
            if request.staffAccount != nil { throw DomainError.forbidden("工作人员请通过窗口受理为申请人申报。") }
            return request.redirect(to: "/signin?next=" + request.returnTo)
        }
        let (_, guide, _) = try await publishedGuide(request, code: code)
        guard guide.canApplyOnline else { throw DomainError.conflict("case.not_online", "“\(guide.name)”不支持网上申报，请到综合窗口办理。") }
        let subject = try await applicantOf(request, record: record, actor: actor)
        return try await renderApply(request, code: code, applicant: subject, actingFor: actor.actingFor?.companyName, action: "/items/\(code)/apply")
    }

    /// Whose application it is: the person, or the company they act for.
    static func applicantOf(_ request: Request, record: ApplicantRecord, actor: ApplicantActor) async throws -> ApplicantRecord {
        guard let company = actor.actingFor, let id = UUID(uuidString: company.companyID), let found = try await ApplicantRecord.find(id, on: request.db) else {
            return record
        }
        return found
    }

    /// Saves the application as a draft (materials follow on the case page) with the page's
    /// idempotency key, so a double click files one case.
    @Sendable static func apply(_ request: Request) async throws -> Response {
        let code = request.parameters.get("code") ?? ""
        guard let (record, actor) = request.applicant else { return request.redirect(to: "/signin?next=" + request.returnTo) }
        let posted = try request.content.decode([String: String].self)
        try request.verifyCSRF(posted["csrf"])
        let subject = try await applicantOf(request, record: record, actor: actor)
        let (_, guide, _) = try await publishedGuide(request, code: code)
        let values = FormInput.values(from: posted, schema: guide.form, profile: ProfileValue.of(subject, keys: try request.application.keyRing))
        do {
            let body = NewCaseRequest(item: code, form: values, commitment: posted["commitment"] == "on" ? true : nil, submit: false)
            let (created, _, _) = try await CaseService(try request.domain).create(body, idempotencyKey: posted["idempotencyKey"])
            return request.redirect(to: "/me/cases/\(created.id!.uuidString)?created=1")
        } catch let error as DomainError where error.kind == .invalid {
            return try await renderApply(request, code: code, applicant: subject, actingFor: actor.actingFor?.companyName, typed: values, error: error, action: "/items/\(code)/apply")
        }
    }

    struct MyCasesPage: Encodable {
        var page: PageContext
        var listing: CaseService.Listing
        var state: String
        var states: [StateOption]
        var previousPage: Int?
        var nextPage: Int?
        var inbox: [NotificationController.InboxEntry]
    }

    struct StateOption: Encodable {
        var value: String
        var name: String
        var selected: Bool
    }

    static func stateOptions(_ selected: String) -> [StateOption] {
        CaseState.allCases.map { StateOption(value: $0.rawValue, name: $0.chineseName, selected: $0.rawValue == selected) }
    }

    @Sendable static func myCases(_ request: Request) async throws -> Response {
        guard request.applicant != nil else { return request.redirect(to: "/signin?next=%2Fme%2Fcases") }
        let listing = try await listing(request)
        let inbox = try await NotificationController.entries(request, limit: 5)
        let state = (try? request.query.get(String.self, at: "state")) ?? ""
        return try await request.view.render("cases/my-cases", MyCasesPage(
            page: PageContext(request: request, title: "我的办件"), listing: listing, state: state, states: stateOptions(state),
            previousPage: listing.page > 1 ? listing.page - 1 : nil, nextPage: listing.page * listing.per < listing.total ? listing.page + 1 : nil,
            inbox: inbox)).encodeResponse(for: request)
    }

    /// The list behind both "my cases" and the staff queue: state filter and paging from the query.
    static func listing(_ request: Request) async throws -> CaseService.Listing {
        let raw = (try? request.query.get(String.self, at: "state")) ?? ""
        let state: CaseState? = raw.isEmpty ? nil : CaseState(rawValue: raw)
        if !raw.isEmpty && state == nil { throw DomainError.invalid("case.state", "没有这种办件状态。") }
        let paging = try PageRequest(page: try? request.query.get(Int.self, at: "page"), per: 20)
        return try await CaseService(try request.domain).list(state: state, page: paging)
    }

    @Sendable static func myCase(_ request: Request) async throws -> Response {
        guard request.applicant != nil else { return request.redirect(to: "/signin?next=" + request.returnTo) }
        return try await CasePages.render(
            request, try CasePages.caseID(request), staff: false, notice: CasePages.notice(request) ?? EvaluationPages.notice(request))
    }

    @Sendable static func act(_ request: Request) async throws -> Response {
        guard request.applicant != nil else { return request.redirect(to: "/signin") }
        return try await CasePages.act(request, staff: false)
    }

    @Sendable static func upload(_ request: Request) async throws -> Response {
        guard request.applicant != nil else { return request.redirect(to: "/signin") }
        return try await CasePages.upload(request, staff: false)
    }

    @Sendable static func saveForm(_ request: Request) async throws -> Response {
        guard request.applicant != nil else { return request.redirect(to: "/signin") }
        return try await CasePages.saveForm(request, staff: false)
    }
}
