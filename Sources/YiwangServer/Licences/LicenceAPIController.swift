import Fluent
import Foundation
import Vapor
import YiwangCore

/// `/api/v1/seals`, `/api/v1/licence-types`, `/api/v1/licences…` and `/api/v1/me/licences`.
enum LicenceAPIController {
    /// A licence as its holder (or staff allowed by the policy) reads it.
    struct LicenceView: Content {
        struct Version: Content {
            var identifier: String
            var version: Int
            var status: String
            var issuedOn: String
        }

        var document: LicenceDocument
        var status: LicenceService.Status
        var versions: [Version]
        var verificationURL: String
        var caseID: UUID?
    }

    struct WalletEntry: Content {
        var identifier: String
        var name: String
        var number: String
        var issuer: String
        var issuedOn: String
        var validUntil: String?
        var status: String
        var statusName: String
    }

    struct UseView: Content {
        var kind: String
        var kindName: String
        var party: String
        var purpose: String
        var caseID: UUID?
        var at: Date

        init(_ use: LicenceUseRecord) {
            kind = use.kind
            kindName = LicenceUseKind(rawValue: use.kind)?.chineseName ?? use.kind
            party = use.party
            purpose = use.purpose
            caseID = use.caseID
            at = use.at
        }
    }

    struct ShareRequest: Content {
        var recipient: String?
        var hours: Int?
    }

    struct ShareView: Content {
        var id: UUID
        var recipient: String
        var expiresAt: Date
        var withdrawnAt: Date?
        var views: Int
        /// Only in the answer that creates it: the token is not stored.
        var url: String?

        init(_ share: LicenceShareRecord, url: String? = nil) {
            id = share.id ?? UUID()
            recipient = share.recipient
            expiresAt = share.expiresAt
            withdrawnAt = share.withdrawnAt
            views = share.views
            self.url = url
        }
    }

    struct ChangeRequest: Content {
        var kind: LicenceChange.Kind
        var reason: String?
        var changes: [String: String]?
    }

    static func identifier(_ request: Request) throws -> String {
        guard let raw = request.parameters.get("identifier"), raw.count <= 120 else {
            throw DomainError.notFound("licence.not_found", "未找到该电子证照。")
        }
        return raw
    }

    // MARK: Public

    @Sendable static func seals(_ request: Request) async throws -> [Seals.Published] {
        try await Seals(try request.domain).published()
    }

    @Sendable static func types(_ request: Request) async throws -> [LicenceType] {
        try await LicenceService(try request.domain).types()
    }

    @Sendable static func status(_ request: Request) async throws -> LicenceService.Status {
        try await LicenceService(try request.domain).status(try identifier(request))
    }

    @Sendable static func verify(_ request: Request) async throws -> Response {
        struct Verdict: Content {
            var result: LicenceVerdict
            var resultName: String
            var status: LicenceService.Status?
        }
        let document: LicenceDocument
        do {
            document = try request.content.decode(LicenceDocument.self)
        } catch {
            throw DomainError.invalid("licence.document_format", "请提交完整的电子证照文件(JSON)，包括照面信息、密钥标识和签名。")
        }
        let (verdict, status) = try await LicenceService(try request.domain).verifyLicence(document)
        return try await Verdict(result: verdict, resultName: verdict.chineseName, status: status).encodeResponse(for: request)
    }

    // MARK: Holder and staff

    @Sendable static func show(_ request: Request) async throws -> LicenceView {
        let service = LicenceService(try request.domain)
        return try await view(try await service.opened(try identifier(request)), service: service)
    }

    static func view(_ licence: LicenceRecord, service: LicenceService) async throws -> LicenceView {
        let versions = try await service.chain(of: licence).map {
            LicenceView.Version(identifier: $0.identifier, version: $0.version, status: $0.statusRaw, issuedOn: $0.issuedOn)
        }
        return LicenceView(
            document: try licence.document(service.ctx.keys), status: try await service.status(licence.identifier), versions: versions,
            verificationURL: service.verificationURL(licence.identifier), caseID: licence.caseID)
    }

    @Sendable static func wallet(_ request: Request) async throws -> [WalletEntry] {
        try await entries(LicenceService(try request.domain))
    }

    /// The wallet as listed, each with the same verdict the public check gives.
    static func entries(_ service: LicenceService) async throws -> [WalletEntry] {
        let revoked = try await service.revokedSeals()
        return try await service.wallet().map { entry($0, verdict: service.verdict(of: $0, revokedSeals: revoked).0) }
    }

    static func entry(_ licence: LicenceRecord, verdict: LicenceVerdict) -> WalletEntry {
        WalletEntry(
            identifier: licence.identifier, name: licence.name, number: licence.number, issuer: licence.issuerName, issuedOn: licence.issuedOn,
            validUntil: licence.validUntil, status: verdict.rawValue, statusName: licence.status == .superseded ? "已换发新版" : verdict.chineseName)
    }

    @Sendable static func uses(_ request: Request) async throws -> [UseView] {
        let service = LicenceService(try request.domain)
        let licence = try await service.visible(try identifier(request))
        try Policy.authorize(service.ctx.actor, .receiveLicences, on: licence.owner)
        return try await service.uses(of: licence).map(UseView.init)
    }

    @Sendable static func share(_ request: Request) async throws -> Response {
        let body = try request.content.decode(ShareRequest.self)
        let service = LicenceService(try request.domain)
        let licence = try await service.visible(try identifier(request))
        let (share, token) = try await service.share(licence, recipient: body.recipient, hours: body.hours)
        let view = ShareView(share, url: service.shareURL(token))
        return try await view.encodeResponse(status: .created, for: request)
    }

    @Sendable static func shares(_ request: Request) async throws -> [ShareView] {
        let service = LicenceService(try request.domain)
        let licence = try await service.visible(try identifier(request))
        try Policy.authorize(service.ctx.actor, .receiveLicences, on: licence.owner)
        return try await service.shares(of: licence).map { ShareView($0) }
    }

    @Sendable static func withdrawShare(_ request: Request) async throws -> HTTPStatus {
        guard let id = request.parameters.get("share").flatMap(UUID.init(uuidString:)) else {
            throw DomainError.notFound("licence.share_not_found", "未找到该分享。")
        }
        try await LicenceService(try request.domain).withdraw(share: id)
        return .noContent
    }

    /// `GET /api/v1/shared-licences/{token}`: the document behind a share link, for its recipient.
    /// The holder consented to show this licence as issued (the signed document, their number
    /// included, so the recipient can check the signature); never cached.
    @Sendable static func shared(_ request: Request) async throws -> Response {
        let document = try await LicenceService(try request.domain).shared(token: request.parameters.get("token") ?? "").1
        let response = try await document.encodeResponse(for: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable static func change(_ request: Request) async throws -> LicenceView {
        let body = try request.content.decode(ChangeRequest.self)
        let ctx = try request.domain
        let result = try await ctx.run(
            LicenceChange(), LicenceChange.Command(identifier: try identifier(request), kind: body.kind, reason: body.reason, changes: body.changes ?? [:]))
        return try await view(result, service: LicenceService(ctx))
    }
}

extension LicenceDocument: Content {}
extension LicenceType: Content {}
