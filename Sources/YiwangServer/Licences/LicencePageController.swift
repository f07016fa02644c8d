import Fluent
import Foundation
import Vapor
import YiwangCore

/// The licence pages: the holder's wallet (证照夹) and each licence as it prints (face, seal,
/// QR code, versions, uses and shares), the public verification page the QR code leads to, the
/// page a share link opens, and the staff's view with revocation, renewal and change.
enum LicencePageController {
    struct WalletPage: Encodable {
        var page: PageContext
        var licences: [LicenceAPIController.WalletEntry]
        var holderName: String
    }

    struct FaceRow: Encodable {
        var key: String
        var label: String
        var value: String
    }

    struct SealDetails: Encodable {
        var keyID: String
        var owner: String
        var subject: String
        var serial: String
        var validUntil: String
        var state: String
    }

    struct LicencePage: Encodable {
        var page: PageContext
        var identifier: String
        var name: String
        var number: String
        var holderName: String
        var holderCode: String
        var holderCodeType: String
        var issuer: String
        var issuedOn: String
        var validity: String
        var status: LicenceService.Status
        var face: [FaceRow]
        var seal: SealDetails?
        var qr: String
        var verificationURL: String
        var versions: [LicenceAPIController.LicenceView.Version]
        var uses: [LicenceAPIController.UseView]
        var shares: [LicenceAPIController.ShareView]
        var staff: Bool
        var mayManage: Bool
        var shareLink: String?
        var notice: String?
        var error: String?
        var caseID: UUID?
        var sharedFor: String?
        /// The holder (or their agent) is looking: their shares, uses and share form are shown.
        var isHolder: Bool
    }

    struct VerifyPage: Encodable {
        var page: PageContext
        var query: String
        var status: LicenceService.Status?
        var error: String?
    }

    // MARK: Wallet

    @Sendable static func wallet(_ request: Request) async throws -> Response {
        guard let (record, actor) = request.applicant else { return request.redirect(to: "/signin?next=%2Fme%2Flicences") }
        let licences = try await LicenceAPIController.entries(LicenceService(try request.domain))
        return try await request.view.render(
            "licences/wallet", WalletPage(page: PageContext(request: request, title: "我的证照"), licences: licences, holderName: actor.actingFor?.companyName ?? record.name)
        ).encodeResponse(for: request)
    }

    @Sendable static func holderLicence(_ request: Request) async throws -> Response {
        guard request.applicant != nil else { return request.redirect(to: "/signin?next=" + request.returnTo) }
        return try await render(request, staff: false)
    }

    @Sendable static func staffLicence(_ request: Request) async throws -> Response {
        guard request.staffAccount != nil else { return request.redirect(to: "/admin/login?next=" + request.returnTo) }
        return try await render(request, staff: true)
    }

    static func render(_ request: Request, staff: Bool, shareLink: String? = nil, error: DomainError? = nil) async throws -> Response {
        _ = request.csrfToken()
        let ctx = try request.domain
        let service = LicenceService(ctx)
        let licence = try await service.opened(try LicenceAPIController.identifier(request))
        let isHolder = Policy.allows(ctx.actor, .receiveLicences, on: licence.owner)
        let uses = isHolder ? try await service.uses(of: licence) : []
        let shares = isHolder ? try await service.shares(of: licence) : []
        var page = try await licencePage(request, licence: licence, document: try licence.document(ctx.keys), service: service, staff: staff)
        page.uses = uses.map(LicenceAPIController.UseView.init)
        page.shares = shares.map { LicenceAPIController.ShareView($0) }
        page.isHolder = isHolder
        page.mayManage = staff && Policy.allows(ctx.actor, .manageLicences, on: licence.owner)
        page.shareLink = shareLink
        page.notice = (try? request.query.get(String.self, at: "notice")).flatMap(notice)
        page.error = error?.message
        let response = try await request.view.render("licences/licence", page).encodeResponse(for: request)
        if let error { response.status = HTTPResponseStatus(statusCode: ProblemMiddleware.statusCode(for: error.kind)) }
        return response
    }

    static func notice(_ code: String) -> String? {
        ["revoked": "证照已注销。", "renewed": "已换发新版本。", "changed": "照面信息已变更，已换发新版本。", "unshared": "分享已撤回，链接立即失效。"][code]
    }

    /// The licence as it prints: face, holder, issuer, validity, status, seal and QR code.
    static func licencePage(
        _ request: Request, licence: LicenceRecord, document: LicenceDocument, service: LicenceService, staff: Bool
    ) async throws -> LicencePage {
        let ctx = service.ctx
        let seal = try await SealKeyRecord.query(on: ctx.db).filter(\.$keyID == licence.keyID).first()
        let details = try seal.map { record -> SealDetails in
            let certificate = try SealCertificate(pem: record.certificate)
            return SealDetails(
                keyID: record.keyID, owner: record.ownerName, subject: certificate.subjectLine, serial: certificate.serialHex,
                validUntil: LocalDate(record.notAfter).description, state: ["active": "有效", "retired": "已轮换(仍可验证)", "revoked": "已吊销"][record.stateRaw] ?? record.stateRaw)
        }
        let url = service.verificationURL(licence.identifier)
        let qr = (try? QRCode.encode(url, correction: .medium).svg(moduleSize: 4, quietZone: 4, title: "扫码核验：" + licence.name)) ?? ""
        let versions = try await service.chain(of: licence).map {
            LicenceAPIController.LicenceView.Version(identifier: $0.identifier, version: $0.version, status: $0.statusRaw, issuedOn: $0.issuedOn)
        }
        return LicencePage(
            page: PageContext(request: request, title: document.name), identifier: licence.identifier, name: document.name, number: document.number,
            holderName: document.holder.name, holderCode: shown(document.holder.code, holder: document.holder),
            holderCodeType: document.holder.codeType, issuer: document.issuerName, issuedOn: document.issuedOn,
            validity: document.validFrom + " 至 " + (document.validUntil ?? "长期"), status: try await service.status(licence.identifier),
            face: document.face.map { FaceRow(key: $0.key, label: $0.label, value: shown($0.value, holder: document.holder)) }, seal: details, qr: qr,
            verificationURL: url, versions: versions, uses: [], shares: [], staff: staff, mayManage: false, shareLink: nil, notice: nil, error: nil,
            caseID: licence.caseID, sharedFor: nil, isHolder: false)
    }

    /// A face value as a page shows it: the holder's number (or any resident ID number) masked,
    /// like every number on every page; the signed document keeps it whole.
    static func shown(_ value: String, holder: LicenceHolder) -> String {
        if ResidentIDNumber.isValid(value) { return PersonalData.mask(value, as: .idNumber) }
        if value == holder.code { return PersonalData.mask(value, as: holder.codeType == "居民身份证" ? .idNumber : .creditCode) }
        return value
    }

    // MARK: Holder's forms

    @Sendable static func share(_ request: Request) async throws -> Response {
        guard request.applicant != nil else { return request.redirect(to: "/signin") }
        struct Form: Decodable {
            var csrf: String?
            var recipient: String?
            var hours: Int?
        }
        let form = try request.content.decode(Form.self)
        try request.verifyCSRF(form.csrf)
        let service = LicenceService(try request.domain)
        let licence = try await service.visible(try LicenceAPIController.identifier(request))
        do {
            let (_, token) = try await service.share(licence, recipient: form.recipient, hours: form.hours)
            return try await render(request, staff: false, shareLink: service.shareURL(token))
        } catch let error as DomainError {
            return try await render(request, staff: false, error: error)
        }
    }

    @Sendable static func withdrawShare(_ request: Request) async throws -> Response {
        guard request.applicant != nil else { return request.redirect(to: "/signin") }
        struct Form: Decodable { var csrf: String? }
        try request.verifyCSRF(try request.content.decode(Form.self).csrf)
        guard let id = request.parameters.get("share").flatMap(UUID.init(uuidString:)) else {
            throw DomainError.notFound("licence.share_not_found", "未找到该分享。")
        }
        try await LicenceService(try request.domain).withdraw(share: id)
        return request.redirect(to: "/me/licences/\(try LicenceAPIController.identifier(request))?notice=unshared")
    }

    // MARK: Staff's forms

    @Sendable static func change(_ request: Request) async throws -> Response {
        guard request.staffAccount != nil else { return request.redirect(to: "/admin/login") }
        struct Form: Decodable {
            var csrf: String?
            var kind: String?
            var reason: String?
        }
        let form = try request.content.decode(Form.self)
        try request.verifyCSRF(form.csrf)
        guard let kind = form.kind.flatMap(LicenceChange.Kind.init(rawValue:)) else {
            throw DomainError.invalid("licence.change_kind", "请选择注销、换发或变更。")
        }
        // Face changes come as `face.<key>` fields; empty ones are left as they are.
        let all = (try? request.content.decode([String: String].self)) ?? [:]
        let changes = Dictionary(uniqueKeysWithValues: all.compactMap { key, value -> (String, String)? in
            guard key.hasPrefix("face."), !value.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
            return (String(key.dropFirst(5)), value)
        })
        let ctx = try request.domain
        do {
            let result = try await ctx.run(
                LicenceChange(),
                LicenceChange.Command(identifier: try LicenceAPIController.identifier(request), kind: kind, reason: form.reason, changes: changes))
            let notice = kind == .revoke ? "revoked" : (kind == .renew ? "renewed" : "changed")
            return request.redirect(to: "/admin/licences/\(result.identifier)?notice=\(notice)")
        } catch let error as DomainError {
            return try await render(request, staff: true, error: error)
        }
    }

    @Sendable static func staffLookup(_ request: Request) async throws -> Response {
        guard request.staffAccount != nil else { return request.redirect(to: "/admin/login?next=%2Fadmin%2Flicences") }
        let query = ((try? request.query.get(String.self, at: "identifier")) ?? "").trimmingCharacters(in: .whitespaces)
        if query.isEmpty {
            return try await request.view.render("licences/lookup", VerifyPage(page: PageContext(request: request, title: "电子证照查询"), query: "", status: nil, error: nil))
                .encodeResponse(for: request)
        }
        switch Result(catching: { () throws(DomainError) in try LicenceIdentifier(query) }) {
        case .success(let identifier):
            return request.redirect(to: "/admin/licences/" + identifier.description)
        case .failure(let error):
            let response = try await request.view.render(
                "licences/lookup", VerifyPage(page: PageContext(request: request, title: "电子证照查询"), query: query, status: nil, error: error.message)
            ).encodeResponse(for: request)
            response.status = .badRequest
            return response
        }
    }

    // MARK: Public

    /// `/verify/{identifier}` (where the QR code leads) and `/verify?identifier=`.
    @Sendable static func verify(_ request: Request) async throws -> Response {
        let raw = request.parameters.get("identifier") ?? (try? request.query.get(String.self, at: "identifier")) ?? ""
        let query = String(raw.trimmingCharacters(in: .whitespaces).prefix(120))
        var page = VerifyPage(page: PageContext(request: request, title: "电子证照核验"), query: query, status: nil, error: nil)
        var status: HTTPResponseStatus = .ok
        if !query.isEmpty {
            do {
                page.status = try await LicenceService(try request.domain).status(query)
            } catch let error as DomainError {
                page.error = error.message
                status = .badRequest
            }
        }
        let response = try await request.view.render("licences/verify", page).encodeResponse(for: request)
        response.status = status
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// `/s/{token}`: what a share link shows its recipient while it lasts.
    @Sendable static func shared(_ request: Request) async throws -> Response {
        let service = LicenceService(try request.domain)
        let (licence, document, share) = try await service.shared(token: request.parameters.get("token") ?? "")
        var page = try await licencePage(request, licence: licence, document: document, service: service, staff: false)
        page.sharedFor = share.recipient + "，有效至 " + ChineseDateTag.format(share.expiresAt)
        page.caseID = nil  // the holder's case is theirs, not the recipient's
        let response = try await request.view.render("licences/licence", page).encodeResponse(for: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }
}
