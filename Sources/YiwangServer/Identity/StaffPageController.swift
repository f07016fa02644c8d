import Fluent
import Foundation
import Vapor
import YiwangCore

/// `/admin/staff` and `/admin/audit`: staff management and the audit trail for those the policy allows.
enum StaffPageController {
    struct GrantRow: Encodable {
        var role: String
        var roleName: String
        var department: String?
        var departmentName: String?
        var region: String?
        var scopeName: String
    }

    struct StaffRow: Encodable {
        var account: String
        var displayName: String
        var grants: [GrantRow]
        var disabled: Bool
        var locked: Bool
    }

    struct StaffListPage: Encodable {
        var page: PageContext
        var rows: [StaffRow]
        var roles: [ChoiceOption]
        var departments: [ChoiceOption]
        var error: String?
        var form: NewStaffForm
    }

    struct StaffAccountPage: Encodable {
        var page: PageContext
        var row: StaffRow
        var roles: [ChoiceOption]
        var departments: [ChoiceOption]
        var error: String?
        var notice: String?
        var isSelf: Bool
    }

    struct NewStaffForm: Content {
        var csrf: String?
        var account: String?
        var displayName: String?
        var password: String?
        var role: String?
        var department: String?
        var region: String?
    }

    struct GrantForm: Content {
        var csrf: String?
        var role: String?
        var department: String?
        var region: String?
        var password: String?
    }

    static func grantRows(_ grants: [Grant], departments: [String: String]) -> [GrantRow] {
        grants.map { grant in
            var parts: [String] = []
            if let department = grant.scope.departmentCreditCode { parts.append(departments[department] ?? department) }
            if let region = grant.scope.regionCode { parts.append("区划 \(region)") }
            return GrantRow(
                role: grant.role.rawValue, roleName: grant.role.chineseName, department: grant.scope.departmentCreditCode,
                departmentName: grant.scope.departmentCreditCode.flatMap { departments[$0] }, region: grant.scope.regionCode,
                scopeName: parts.isEmpty ? "全市(不限)" : parts.joined(separator: "，"))
        }
    }

    static func departmentNames(_ db: any Database) async throws -> [String: String] {
        try await DepartmentRecord.query(on: db).all().reduce(into: [:]) { $0[$1.creditCode] = $1.name }
    }

    /// Roles and departments the actor may hand out, for the forms' drop-downs: asked of the
    /// policy layer, so the page never offers what the server would refuse.
    static func choices(_ request: Request, names: [String: String]) -> ([ChoiceOption], [ChoiceOption]) {
        let actor = request.actor
        let scopes = names.keys.map { Scope(departmentCreditCode: $0) } + [.everywhere]
        let roles = StaffRole.allCases.filter { role in scopes.contains { Policy.mayGrant(actor, Grant(role: role, scope: $0)) } }
            .map { ChoiceOption(value: $0.rawValue, label: $0.chineseName, selected: false) }
        func offered(_ scope: Scope) -> Bool { StaffRole.allCases.contains { Policy.mayGrant(actor, Grant(role: $0, scope: scope)) } }
        let departments = names.filter { offered(Scope(departmentCreditCode: $0.key)) }.sorted { $0.value < $1.value }
            .map { ChoiceOption(value: $0.key, label: $0.value, selected: false) }
        return (roles, (offered(.everywhere) ? [ChoiceOption(value: "", label: "不限部门", selected: false)] : []) + departments)
    }

    static func row(_ view: StaffView, names: [String: String]) -> StaffRow {
        StaffRow(account: view.account, displayName: view.displayName, grants: grantRows(view.grants, departments: names), disabled: view.disabled, locked: view.locked)
    }

    static func grant(from role: String?, department: String?, region: String?) throws -> Grant {
        guard let role = role.flatMap(StaffRole.init(rawValue:)) else {
            throw DomainError.invalid("staff.role", "请选择角色。", fields: [FieldError(field: "role", message: "请选择角色。")])
        }
        let department = department.flatMap { $0.isEmpty ? nil : $0 }
        let region = region.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        return Grant(role: role, scope: Scope(departmentCreditCode: department, regionCode: region))
    }

    static func renderList(_ request: Request, form: NewStaffForm = NewStaffForm(), error: String? = nil, status: HTTPStatus = .ok) async throws -> Response {
        _ = request.csrfToken()
        let names = try await departmentNames(request.db)
        let administration = StaffAdministration(try request.domain)
        let views = try await administration.views(try await administration.list())
        let (roles, departments) = choices(request, names: names)
        var shown = form
        shown.password = nil
        let response = try await request.view.render("admin/staff", StaffListPage(
            page: PageContext(request: request, title: "人员与授权"), rows: views.map { row($0, names: names) },
            roles: roles, departments: departments, error: error, form: shown)).encodeResponse(for: request)
        response.status = status
        return response
    }

    @Sendable static func list(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .manageStaff) { return redirect }
        return try await renderList(request)
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .manageStaff) { return redirect }
        let form = try request.content.decode(NewStaffForm.self)
        try request.verifyCSRF(form.csrf)
        do {
            let grant = try grant(from: form.role, department: form.department, region: form.region)
            let record = try await StaffAdministration(try request.domain).create(NewStaffRequest(
                account: form.account ?? "", displayName: form.displayName ?? "", password: form.password ?? "", grants: [grant]))
            return request.redirect(to: "/admin/staff/\(record.account)")
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict || error.kind == .forbidden {
            return try await renderList(request, form: form, error: error.message, status: HTTPStatus(statusCode: ProblemMiddleware.statusCode(for: error.kind)))
        }
    }

    static func renderAccount(_ request: Request, name: String, error: String? = nil, notice: String? = nil, status: HTTPStatus = .ok) async throws -> Response {
        _ = request.csrfToken()
        let names = try await departmentNames(request.db)
        let administration = StaffAdministration(try request.domain)
        let view = try await administration.views([try await administration.account(name)])[0]
        let (roles, departments) = choices(request, names: names)
        let response = try await request.view.render("admin/staff-account", StaffAccountPage(
            page: PageContext(request: request, title: "账号 \(view.account)"), row: row(view, names: names),
            roles: roles, departments: departments, error: error, notice: notice,
            isSelf: request.staffAccount?.account == view.account)).encodeResponse(for: request)
        response.status = status
        return response
    }

    @Sendable static func account(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .manageStaff) { return redirect }
        return try await renderAccount(request, name: request.parameters.get("account") ?? "")
    }

    /// One handler for every change to an account: grant, revoke, disable, enable, reset.
    @Sendable static func change(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .manageStaff) { return redirect }
        let name = request.parameters.get("account") ?? ""
        let operation = request.parameters.get("operation") ?? ""
        let form = try request.content.decode(GrantForm.self)
        try request.verifyCSRF(form.csrf)
        let administration = StaffAdministration(try request.domain)
        do {
            var notice: String?
            switch operation {
            case "grant": _ = try await administration.grant(try grant(from: form.role, department: form.department, region: form.region), to: name)
            case "revoke": _ = try await administration.revoke(try grant(from: form.role, department: form.department, region: form.region), from: name)
            case "disable": _ = try await administration.setDisabled(true, name: name)
            case "enable": _ = try await administration.setDisabled(false, name: name)
            case "reset":
                let given = form.password.flatMap { $0.isEmpty ? nil : $0 }
                let (_, password) = try await administration.resetPassword(name: name, to: given)
                notice = given == nil ? "密码已重置为：\(password)(仅显示这一次，请当面交给本人)" : "密码已重置。"
            default:
                throw DomainError.notFound("staff.operation", "不支持的操作。")
            }
            if let notice {
                let response = try await renderAccount(request, name: name, notice: notice)
                response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
                return response
            }
            return request.redirect(to: "/admin/staff/\(name)")
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict || error.kind == .forbidden {
            return try await renderAccount(request, name: name, error: error.message, status: HTTPStatus(statusCode: ProblemMiddleware.statusCode(for: error.kind)))
        }
    }

    // MARK: Audit

    struct AuditSearchPage: Encodable {
        var page: PageContext
        var query: AuditAPIController.SearchQueryEcho
        var rows: [AuditEventView]
        var total: Int
        var verification: AuditTrail.Verification?
        var previous: String?
        var next: String?
        var mayVerify: Bool
    }

    @Sendable static func audit(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .viewAudit) { return redirect }
        let query = try request.query.decode(AuditAPIController.SearchQuery.self)
        let paging = try PageRequest(page: query.page, per: query.per, defaultPer: 50)
        let (events, total) = try await AuditTrail.search(
            try AuditAPIController.filter(query), scopes: Policy.scopes(for: request.actor, .viewAudit), page: paging, on: request.db)
        // The chain check reads the whole trail: only on request, and only for those who may see all of it.
        let wantsCheck = (try? request.query.get(String.self, at: "verify")) == "1"
        let verification = wantsCheck && Policy.allows(request.actor, .viewAudit) ? try await AuditTrail.verify(on: request.db, checkpoints: request.application.auditCheckpoints) : nil
        let echo = AuditAPIController.SearchQueryEcho(query)
        func link(_ page: Int) -> String { "/admin/audit?" + echo.queryString(page: page) }
        _ = request.csrfToken()
        return try await request.view.render("admin/audit", AuditSearchPage(
            page: PageContext(request: request, title: "留痕审计"), query: echo,
            rows: events.map(AuditEventView.init),
            total: total, verification: verification,
            previous: paging.page > 1 ? link(paging.page - 1) : nil,
            next: paging.offset + paging.per < total ? link(paging.page + 1) : nil,
            mayVerify: Policy.allows(request.actor, .viewAudit))).encodeResponse(for: request)
    }
}

extension AuditAPIController {
    /// The search as typed, for refilling the form and building page links.
    struct SearchQueryEcho: Encodable {
        var actor: String
        var subject: String
        var action: String
        var from: String
        var to: String

        init(_ query: SearchQuery) {
            actor = query.actor ?? ""
            subject = query.subject ?? ""
            action = query.action ?? ""
            from = query.from ?? ""
            to = query.to ?? ""
        }

        func queryString(page: Int) -> String {
            var components = URLComponents()
            components.queryItems = [("actor", actor), ("subject", subject), ("action", action), ("from", from), ("to", to)]
                .filter { !$0.1.isEmpty }.map { URLQueryItem(name: $0.0, value: $0.1) } + [URLQueryItem(name: "page", value: String(page))]
            return components.percentEncodedQuery ?? ""
        }
    }
}
