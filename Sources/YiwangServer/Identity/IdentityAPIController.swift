import Fluent
import Foundation
import Vapor
import YiwangCore

struct TokenRequest: Content {
    var account: String
    var password: String
    /// For an agent: the company the token acts for.
    var actingFor: UUID?
}

struct TokenResponse: Content {
    var token: String
    var expiresAt: Date
}

struct ApplicantView: Content {
    var id: UUID
    var kind: ApplicantKind
    var name: String
    /// Masked unless revealed by someone allowed to.
    var identifier: String
    var phone: String?
    /// Masked, as the phone.
    var email: String?
    var legalRepresentative: String?
    var createdAt: Date

    init(_ record: ApplicantRecord, identifier: String? = nil, phone: String? = nil) {
        id = record.id!
        kind = record.kind
        name = record.name
        self.identifier = identifier ?? record.identifierMasked
        self.phone = phone ?? record.phoneMasked
        email = record.emailMasked
        legalRepresentative = record.representativeName.map { PersonalData.mask($0, as: .name) }
        createdAt = record.createdAt
    }
}

struct MeResponse: Content {
    var kind: String
    var account: String
    var displayName: String
    var grants: [Grant]?
    var applicant: ApplicantView?
    var actingFor: RepresentedCompany?
}

struct SignInView: Content {
    var at: Date
    var channel: String
    var address: String?
    var outcome: String
    var outcomeName: String
    var channelName: String

    init(_ record: SignInEventRecord) {
        at = record.at
        channel = record.channel
        channelName = AuditVocabulary.channel(record.channel)
        address = record.address
        outcome = record.outcome
        outcomeName = SignInOutcome(rawValue: record.outcome)?.chineseName ?? record.outcome
    }
}

/// Registration, tokens and "me" for every kind of account, plus applicant look-up for staff.
enum IdentityAPIController {
    static func requireSignedIn(_ request: Request) throws -> SignedIn {
        guard let signedIn = request.signedIn else {
            throw DomainError(.unauthenticated, code: "access.unauthenticated", message: "请先登录。")
        }
        return signedIn
    }

    static func created<T: Content>(_ value: T, for request: Request) async throws -> Response {
        let response = try await value.encodeResponse(status: .created, for: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable static func registerPerson(_ request: Request) async throws -> Response {
        try await request.application.rateLimits.enforce(.registration, key: request.clientAddress, at: request.now, on: request.db)
        let record = try await IdentityService(try request.domain).registerPerson(try request.content.decode(RegisterPersonRequest.self))
        return try await created(ApplicantView(record), for: request)
    }

    @Sendable static func registerCompany(_ request: Request) async throws -> Response {
        try await request.application.rateLimits.enforce(.registration, key: request.clientAddress, at: request.now, on: request.db)
        let record = try await IdentityService(try request.domain).registerCompany(try request.content.decode(RegisterCompanyRequest.self))
        return try await created(ApplicantView(record), for: request)
    }

    @Sendable static func issueToken(_ request: Request) async throws -> Response {
        let body = try request.content.decode(TokenRequest.self)
        let service = IdentityService(try request.domain)
        let account = try await service.signIn(
            account: body.account, password: body.password, channel: "api", address: request.clientAddress,
            userAgent: request.headers.first(name: .userAgent))
        if let company = body.actingFor {
            guard case .applicant(let person) = account, person.kind == .person,
                try await Agency.representation(of: person, for: company, on: request.db) != nil
            else { throw DomainError.forbidden("您未获该企业授权，不能代其办理。") }
        }
        let (token, expiresAt) = try await service.issueToken(for: account, actingFor: body.actingFor)
        return try await created(TokenResponse(token: token, expiresAt: expiresAt), for: request)
    }

    @Sendable static func revokeToken(_ request: Request) async throws -> HTTPStatus {
        guard let bearer = request.headers.bearerAuthorization?.token else {
            throw DomainError(.unauthenticated, code: "access.unauthenticated", message: "请在 Authorization 头中提供要撤销的令牌。")
        }
        try await IdentityService(try request.domain).revokeToken(bearer)
        return .noContent
    }

    @Sendable static func me(_ request: Request) async throws -> MeResponse {
        switch try requireSignedIn(request) {
        case .staff(let account):
            return MeResponse(kind: "staff", account: account.account, displayName: account.displayName, grants: account.grants)
        case .applicant(let record, let actor):
            var actingFor: RepresentedCompany?
            if let representation = actor.actingFor, let id = UUID(uuidString: representation.companyID) {
                actingFor = try await Agency.companies(of: record, on: request.db).first { $0.id == id }
            }
            return MeResponse(kind: record.kind.rawValue, account: record.identifierMasked, displayName: record.name, applicant: ApplicantView(record), actingFor: actingFor)
        }
    }

    @Sendable static func signIns(_ request: Request) async throws -> [SignInView] {
        let signedIn = try requireSignedIn(request)
        return try await IdentityService(try request.domain).history(signedIn.principal, limit: 50).map(SignInView.init)
    }

    @Sendable static func signOutEverywhere(_ request: Request) async throws -> HTTPStatus {
        let signedIn = try requireSignedIn(request)
        try await IdentityService(try request.domain).signOutEverywhere(signedIn.principal)
        return .noContent
    }

    struct EmailRequest: Content {
        var email: String?
    }

    /// `PUT /me/email`: the address for e-mail notifications (empty or null removes it).
    @Sendable static func setEmail(_ request: Request) async throws -> ApplicantView {
        guard let (_, actor) = request.applicant, let id = UUID(uuidString: actor.accountID) else {
            try request.authorize(.manageOwnAccount)
            throw DomainError.forbidden("只有申请人可以设置通知邮箱。")
        }
        try request.authorize(.manageOwnAccount, on: .applicant(actor.accountID))
        let body = try request.content.decode(EmailRequest.self)
        return ApplicantView(try await IdentityService(try request.domain).setEmail(of: id, to: body.email))
    }

    @Sendable static func companies(_ request: Request) async throws -> [RepresentedCompany] {
        guard let (record, actor) = request.applicant else {
            try request.authorize(.manageOwnAccount)  // refuses staff and anonymous callers in the policy's words
            return []
        }
        try request.authorize(.manageOwnAccount, on: .applicant(actor.accountID))
        return try await Agency.companies(of: record, on: request.db)
    }

    /// The company whose agents are managed: the company account itself or its legal representative acting for it.
    static func managedCompany(_ request: Request) throws -> UUID {
        guard let (_, actor) = request.applicant, let id = UUID(uuidString: actor.principalID) else {
            if request.signedIn != nil { throw DomainError.forbidden("只有法人账号或其法定代表人可以管理经办人。") }
            throw DomainError(.unauthenticated, code: "access.unauthenticated", message: "请先以法人账号登录。")
        }
        try request.authorize(.manageAgents, on: .applicant(actor.principalID))
        return id
    }

    @Sendable static func agents(_ request: Request) async throws -> [AgentView] {
        try await Agency.agents(of: try managedCompany(request), on: request.db)
    }

    @Sendable static func grantAgent(_ request: Request) async throws -> Response {
        let company = try managedCompany(request)
        let view = try await Agency.grant(try request.content.decode(AgentRequest.self), company: company, service: IdentityService(try request.domain))
        return try await created(view, for: request)
    }

    @Sendable static func revokeAgent(_ request: Request) async throws -> HTTPStatus {
        let company = try managedCompany(request)
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw DomainError.notFound("agent.not_found", "未找到该经办人授权。")
        }
        try await Agency.revoke(id, company: company, service: IdentityService(try request.domain))
        return .noContent
    }

    // MARK: Staff looking up applicants

    /// Whose act a look-up or reveal is: the applicant's record, handled by the staff member's
    /// department, so that department-scoped supervisors find their own clerks' look-ups.
    static func auditOwner(_ request: Request, _ action: PolicyAction, applicant: String) -> ResourceOwner {
        let scope = request.actor.grants.first { Policy.roles(for: action).contains($0.role) }?.scope
        return ResourceOwner(departmentCreditCode: scope?.departmentCreditCode, regionCode: scope?.regionCode, applicantID: applicant)
    }

    struct LookUpRequest: Content {
        var identifier: String
    }

    /// Finds an applicant by the full ID number or credit code (at the window, on the hotline);
    /// shows masked data. A POST: the number stays out of URLs and logs, and the look-up is audited.
    @Sendable static func lookUp(_ request: Request) async throws -> ApplicantView {
        // Refused before the body is read: a caller without the permission learns nothing more.
        try request.authorizeSomewhere(.lookUpApplicants)
        return ApplicantView(try await lookUpApplicant(request, try request.content.decode(LookUpRequest.self).identifier))
    }

    /// The look-up itself, for the API and the window page: checked, scoped and audited.
    static func lookUpApplicant(_ request: Request, _ typed: String) async throws -> ApplicantRecord {
        try request.authorizeSomewhere(.lookUpApplicants)
        guard ResidentIDNumber.isValid(typed) || CreditCode.isValid(typed) else {
            throw DomainError.invalid("applicant.identifier", "请提供有效的公民身份号码或统一社会信用代码。", fields: [FieldError(field: "identifier", message: "号码不正确。")])
        }
        let (_, found) = try await IdentityService(try request.domain).find(typed)
        guard case .applicant(let record) = found else {
            // A look-up that finds nobody is recorded too (the number masked): probing which
            // numbers are registered leaves a trace.
            try await AuditTrail.append(
                request.auditContext.entry(
                    "applicant.lookUp", subjectType: "applicant", subjectID: "unknown",
                    owner: auditOwner(request, .lookUpApplicants, applicant: "unknown"), after: "notFound:" + PersonalData.mask(typed, as: .idNumber), at: request.now),
                on: request.db)
            throw DomainError.notFound("applicant.not_found", "未找到该申请人，请先为其注册。")
        }
        try request.authorize(.lookUpApplicants, on: .applicant(record.id!.uuidString))
        try await AuditTrail.append(
            request.auditContext.entry(
                "applicant.lookUp", subjectType: "applicant", subjectID: record.id!.uuidString,
                owner: auditOwner(request, .lookUpApplicants, applicant: record.id!.uuidString), at: request.now),
            on: request.db)
        return record
    }

    /// Shows an applicant's full identifier and phone: a separate permission, and audited.
    @Sendable static func reveal(_ request: Request) async throws -> Response {
        try request.authorizeSomewhere(.revealPersonalData)
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let record = try await ApplicantRecord.find(id, on: request.db)
        else { throw DomainError.notFound("applicant.not_found", "未找到该申请人。") }
        // Cases the department actually handles: submitted ones. A draft (even one a clerk begins at
        // the window) cannot open someone's full number.
        let handledBy = try await CaseRecord.query(on: request.db).filter(\.$applicantID == id.uuidString)
            .filter(\.$stateRaw != CaseState.draft.rawValue)
            .field(\.$departmentCode).field(\.$regionCode).unique().limit(200).all().map { ResourceOwner(departmentCreditCode: $0.departmentCode, regionCode: $0.regionCode) }
        guard Policy.mayReveal(request.actor, applicantID: id.uuidString, casesHandledBy: handledBy) else {
            throw DomainError.forbidden("只能查看本部门(本辖区)办件申请人的完整信息。")
        }
        let keys = try request.application.keyRing
        let identifier = try keys.open(record.identifierSealed)
        let phone = try record.phoneSealed.map { sealed throws(DomainError) in try keys.open(sealed) }
        try await AuditTrail.append(
            request.auditContext.entry(
                "personalData.reveal", subjectType: "applicant", subjectID: id.uuidString,
                owner: auditOwner(request, .revealPersonalData, applicant: id.uuidString), after: "identifier,phone", at: request.now),
            on: request.db)
        let response = try await ApplicantView(record, identifier: identifier, phone: phone).encodeResponse(for: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}
