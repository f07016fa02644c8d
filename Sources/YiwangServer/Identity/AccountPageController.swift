import Fluent
import Foundation
import Vapor
import YiwangCore

/// Sign-in, registration and "my account" pages. Staff and applicants sign in through the same
/// code; only the page and the default destination differ.
enum AccountPageController {
    struct SignInForm: Content {
        var account: String?
        var password: String?
        var csrf: String?
        var next: String?
    }

    struct SignInPage: Encodable {
        var page: PageContext
        var account: String
        var error: String?
        var next: String
        var staff: Bool
        var passwordReset: Bool
    }

    static func renderSignIn(_ request: Request, staff: Bool, account: String = "", error: String? = nil, next: String, status: HTTPStatus = .ok) async throws -> Response {
        _ = request.csrfToken()
        let title = staff ? "工作人员登录" : "登录"
        let response = try await request.view.render(staff ? "admin/login" : "account/signin", SignInPage(
            page: PageContext(request: request, title: title), account: account, error: error, next: next, staff: staff,
            passwordReset: (try? request.query.get(String.self, at: "reset")) == "1")).encodeResponse(for: request)
        response.status = status
        return response
    }

    @Sendable static func signInPage(_ request: Request) async throws -> Response {
        try await renderSignIn(request, staff: false, next: safeRedirect(try? request.query.get(String.self, at: "next"), fallback: "/me"))
    }

    @Sendable static func staffSignInPage(_ request: Request) async throws -> Response {
        try await renderSignIn(request, staff: true, next: safeRedirect(try? request.query.get(String.self, at: "next")))
    }

    @Sendable static func signIn(_ request: Request) async throws -> Response { try await signIn(request, staff: false) }
    @Sendable static func staffSignIn(_ request: Request) async throws -> Response { try await signIn(request, staff: true) }

    private static func signIn(_ request: Request, staff: Bool) async throws -> Response {
        let form = try request.content.decode(SignInForm.self)
        try request.verifyCSRF(form.csrf)
        let next = safeRedirect(form.next, fallback: staff ? "/admin" : "/me")
        let kiosk = request.cookies["yw_kiosk"]?.string == "1"
        do {
            let account = try await IdentityService(try request.domain).signIn(
                account: form.account ?? "", password: form.password ?? "", channel: kiosk ? "kiosk" : "web",
                address: request.clientAddress, userAgent: request.headers.first(name: .userAgent))
            try await Sessions.start(request, for: account.principal, kiosk: kiosk)
            if case .staff = account, !staff, next == "/me" { return request.redirect(to: "/admin") }
            if case .applicant = account, staff { return request.redirect(to: "/me") }
            return request.redirect(to: next)
        } catch let error as DomainError where error.kind == .unauthenticated || error.kind == .tooManyRequests {
            let response = try await renderSignIn(
                request, staff: staff, account: form.account ?? "", error: error.message, next: next,
                status: error.kind == .tooManyRequests ? .tooManyRequests : .unauthorized)
            if let retryAfter = error.retryAfter { response.headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter)) }
            return response
        }
    }

    @Sendable static func signOut(_ request: Request) async throws -> Response {
        struct Form: Content { var csrf: String? }
        try request.verifyCSRF(try request.content.decode(Form.self).csrf)
        if request.signedIn != nil {
            try await AuditTrail.append(
                request.auditContext.entry("auth.signOut", subjectType: "account", subjectID: request.signedIn!.principal.key, at: request.now),
                on: request.db)
        }
        try await Sessions.end(request, reason: "signed out")
        return request.redirect(to: request.cookies["yw_kiosk"]?.string == "1" ? "/signin" : "/")
    }

    @Sendable static func signOutEverywhere(_ request: Request) async throws -> Response {
        struct Form: Content { var csrf: String? }
        try request.verifyCSRF(try request.content.decode(Form.self).csrf)
        guard let signedIn = request.signedIn else { return request.redirect(to: "/signin") }
        try await IdentityService(try request.domain).signOutEverywhere(signedIn.principal)
        try await Sessions.end(request, reason: "signed out everywhere")
        return request.redirect(to: "/signin?done=everywhere")
    }

    /// Kiosk mode (自助终端): short idle sessions and big targets, switched on per device.
    @Sendable static func kiosk(_ request: Request) async throws -> Response {
        let on = (try? request.query.get(String.self, at: "mode")) != "off"
        let response = request.redirect(to: on ? "/signin" : "/")
        response.cookies["yw_kiosk"] = on
            ? HTTPCookies.Value(string: "1", maxAge: 365 * 86_400, path: "/", isHTTPOnly: true, sameSite: .lax)
            : HTTPCookies.Value(string: "", expires: Date(timeIntervalSince1970: 0), path: "/")
        return response
    }

    // MARK: Registration

    struct RegisterForm: Content {
        var kind: String?
        var idNumber: String?
        var name: String?
        var phone: String?
        var creditCode: String?
        var representativeIDNumber: String?
        var representativeName: String?
        var representativePhone: String?
        var password: String?
        var passwordAgain: String?
        var csrf: String?
    }

    struct RegisterPage: Encodable {
        var page: PageContext
        var company: Bool
        var form: RegisterForm
        var error: String?
        var errors: [String: String]
    }

    @Sendable static func registerPage(_ request: Request) async throws -> View {
        _ = request.csrfToken()
        let company = (try? request.query.get(String.self, at: "kind")) == "company"
        return try await request.view.render("account/register", RegisterPage(
            page: PageContext(request: request, title: company ? "法人注册" : "个人注册"), company: company,
            form: RegisterForm(kind: company ? "company" : "person"), error: nil, errors: [:]))
    }

    @Sendable static func register(_ request: Request) async throws -> Response {
        var form = try request.content.decode(RegisterForm.self)
        try request.verifyCSRF(form.csrf)
        let company = form.kind == "company"
        do {
            try await request.application.rateLimits.enforce(.registration, key: request.clientAddress, at: request.now, on: request.db)
            let mismatch = form.password == form.passwordAgain ? [] : [FieldError(field: "passwordAgain", message: "两次输入的密码不一致。")]
            let service = IdentityService(try request.domain)
            let record: ApplicantRecord
            if company {
                record = try await service.registerCompany(RegisterCompanyRequest(
                    creditCode: form.creditCode ?? "", name: form.name ?? "",
                    legalRepresentative: .init(idNumber: form.representativeIDNumber ?? "", name: form.representativeName ?? "", phone: form.representativePhone),
                    password: form.password ?? ""), alsoWrong: mismatch)
            } else {
                record = try await service.registerPerson(RegisterPersonRequest(
                    idNumber: form.idNumber ?? "", name: form.name ?? "", phone: form.phone ?? "", password: form.password ?? ""), alsoWrong: mismatch)
            }
            try await Sessions.start(request, for: .applicant(record.id!), kiosk: request.cookies["yw_kiosk"]?.string == "1")
            return request.redirect(to: "/me?welcome=1")
        } catch let error as DomainError {
            form.password = nil
            form.passwordAgain = nil
            form.csrf = nil
            var errors: [String: String] = [:]
            for field in error.fieldErrors { errors[field.field.replacingOccurrences(of: "legalRepresentative/", with: "representative"), default: ""] += field.message }
            let response = try await request.view.render("account/register", RegisterPage(
                page: PageContext(request: request, title: company ? "法人注册" : "个人注册"), company: company, form: form,
                error: error.message, errors: errors)).encodeResponse(for: request)
            response.status = HTTPStatus(statusCode: ProblemMiddleware.statusCode(for: error.kind))
            if let retryAfter = error.retryAfter { response.headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter)) }
            return response
        }
    }

    // MARK: My account

    struct MePage: Encodable {
        var page: PageContext
        var me: ApplicantView
        var welcome: Bool
        var actingFor: String?
        var companies: [RepresentedCompany]
        var mayManageAgents: Bool
        var signIns: [SignInView]
        var emailSaved: Bool
        var emailError: String?
    }

    @Sendable static func me(_ request: Request) async throws -> Response { try await me(request, emailError: nil) }

    static func me(_ request: Request, emailError: String?, status: HTTPStatus = .ok) async throws -> Response {
        guard let (record, actor) = request.applicant else {
            if request.staffAccount != nil { return request.redirect(to: "/admin") }
            return request.redirect(to: "/signin?next=%2Fme")
        }
        _ = request.csrfToken()
        let companies = try await Agency.companies(of: record, on: request.db)
        let history = try await IdentityService(try request.domain).history(.applicant(record.id!)).map(SignInView.init)
        return try await request.view.render("account/me", MePage(
            page: PageContext(request: request, title: "我的账号"), me: ApplicantView(record),
            welcome: (try? request.query.get(String.self, at: "welcome")) == "1", actingFor: actor.actingFor?.companyName,
            companies: companies, mayManageAgents: Policy.mayAttempt(request.actor, .manageAgents), signIns: history,
            emailSaved: (try? request.query.get(String.self, at: "email")) == "1", emailError: emailError)).encodeResponse(status: status, for: request)
    }

    /// The address for e-mail notifications, from the account page.
    @Sendable static func setEmail(_ request: Request) async throws -> Response {
        struct Form: Content {
            var csrf: String?
            var email: String?
        }
        guard let (_, actor) = request.applicant, let id = UUID(uuidString: actor.accountID) else { return request.redirect(to: "/signin?next=%2Fme") }
        let form = try request.content.decode(Form.self)
        try request.verifyCSRF(form.csrf)
        try request.authorize(.manageOwnAccount, on: .applicant(actor.accountID))
        do {
            _ = try await IdentityService(try request.domain).setEmail(of: id, to: form.email)
            return request.redirect(to: "/me?email=1")
        } catch let error as DomainError where error.kind == .invalid {
            return try await me(request, emailError: error.message, status: .badRequest)
        }
    }

    /// An agent chooses to act for a company (or back for themselves).
    @Sendable static func actFor(_ request: Request) async throws -> Response {
        struct Form: Content {
            var csrf: String?
            var company: String?
        }
        let form = try request.content.decode(Form.self)
        try request.verifyCSRF(form.csrf)
        guard let (record, _) = request.applicant else { return request.redirect(to: "/signin") }
        if let text = form.company, !text.isEmpty {
            guard let id = UUID(uuidString: text), let representation = try await Agency.representation(of: record, for: id, on: request.db) else {
                throw DomainError.forbidden("您未获该企业授权，不能代其办理。")
            }
            request.session.data["actingFor"] = id.uuidString
            try await AuditTrail.append(
                request.auditContext.entry("agent.actFor", subjectType: "applicant", subjectID: representation.companyID, owner: .applicant(representation.companyID), at: request.now),
                on: request.db)
        } else if let previous = request.session.data["actingFor"] {
            request.session.data["actingFor"] = nil
            try await AuditTrail.append(
                request.auditContext.entry("agent.actForSelf", subjectType: "applicant", subjectID: previous, owner: .applicant(previous), at: request.now),
                on: request.db)
        }
        return request.redirect(to: "/me")
    }

    struct AgentsPage: Encodable {
        var page: PageContext
        var company: String
        var agents: [AgentView]
        var powers: [ChoiceOption]
        var form: AgentForm
        var error: String?
    }

    struct AgentForm: Content {
        var csrf: String?
        var idNumber: String?
        var name: String?
        var powers: [String]?
    }

    static func renderAgents(_ request: Request, company: UUID, form: AgentForm = AgentForm(), error: String? = nil, status: HTTPStatus = .ok) async throws -> Response {
        _ = request.csrfToken()
        let name = try await ApplicantRecord.find(company, on: request.db)?.name ?? ""
        let chosen = Set(form.powers ?? [])
        let response = try await request.view.render("account/agents", AgentsPage(
            page: PageContext(request: request, title: "经办人授权"), company: name, agents: try await Agency.agents(of: company, on: request.db),
            powers: AgentPower.allCases.map { ChoiceOption(value: $0.rawValue, label: $0.chineseName, selected: chosen.contains($0.rawValue)) },
            form: AgentForm(idNumber: form.idNumber, name: form.name), error: error)).encodeResponse(for: request)
        response.status = status
        return response
    }

    @Sendable static func agents(_ request: Request) async throws -> Response {
        guard request.applicant != nil else { return request.redirect(to: "/signin?next=%2Fme%2Fagents") }
        return try await renderAgents(request, company: try IdentityAPIController.managedCompany(request))
    }

    @Sendable static func grantAgent(_ request: Request) async throws -> Response {
        let form = try request.content.decode(AgentForm.self)
        try request.verifyCSRF(form.csrf)
        let company = try IdentityAPIController.managedCompany(request)
        do {
            var powers: [AgentPower] = []
            for raw in form.powers ?? [] {
                guard let power = AgentPower(rawValue: raw) else { throw DomainError.invalid("agent.power", "授权事项不正确。") }
                powers.append(power)
            }
            _ = try await Agency.grant(AgentRequest(idNumber: form.idNumber ?? "", name: form.name ?? "", powers: powers), company: company, service: IdentityService(try request.domain))
            return request.redirect(to: "/me/agents")
        } catch let error as DomainError where error.kind == .invalid {
            return try await renderAgents(request, company: company, form: form, error: error.message, status: .badRequest)
        }
    }

    @Sendable static func revokeAgent(_ request: Request) async throws -> Response {
        struct Form: Content { var csrf: String? }
        try request.verifyCSRF(try request.content.decode(Form.self).csrf)
        let company = try IdentityAPIController.managedCompany(request)
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound("agent.not_found", "未找到该经办人授权。") }
        try await Agency.revoke(id, company: company, service: IdentityService(try request.domain))
        return request.redirect(to: "/me/agents")
    }

    /// Only same-site paths may be redirect targets: one leading slash, then no slash or
    /// backslash, and no whitespace or control character anywhere (browsers drop tabs and
    /// newlines from Location, which would turn `/\t/evil` into `//evil`).
    static func safeRedirect(_ target: String?, fallback: String = "/admin") -> String {
        guard let target, target.count < 500, target.first == "/",
            !target.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control || $0 == "\\" })
        else { return fallback }
        let second = target.dropFirst().first
        guard second != "/" else { return fallback }
        return target
    }
}
