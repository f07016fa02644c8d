import Fluent
import Foundation
import Vapor
import YiwangCore

/// A licence type of the catalog; its definition is Core's `LicenceType` as JSON.
final class LicenceTypeRecord: Model, @unchecked Sendable {
    static let schema = "licence_types"

    @ID(custom: "code", generatedBy: .user) var id: String?
    @Field(key: "name") var name: String
    @Field(key: "definition") var definition: String
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    init(_ type: LicenceType, at now: Date) throws {
        id = type.code
        name = type.name
        definition = String(decoding: try JSONEncoder.sorted.encode(type), as: UTF8.self)
        updatedAt = now
    }

    var type: LicenceType {
        get throws { try JSONDecoder().decode(LicenceType.self, from: Data(definition.utf8)) }
    }
}

/// A seal key: the city root's (owner `ROOT`) or a department's. The certificate is public; the
/// private key is sealed with the data keys and opened only to sign.
final class SealKeyRecord: Model, @unchecked Sendable {
    static let schema = "seal_keys"
    static let rootOwner = "ROOT"

    enum State: String, Codable { case active, retired, revoked }

    @ID(key: .id) var id: UUID?
    @Field(key: "owner_code") var ownerCode: String
    @Field(key: "owner_name") var ownerName: String
    @Field(key: "key_id") var keyID: String
    @Field(key: "certificate") var certificate: String
    @Field(key: "private_key_sealed") var privateKeySealed: String
    @Field(key: "not_before") var notBefore: Date
    @Field(key: "not_after") var notAfter: Date
    @Field(key: "state") var stateRaw: String
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @OptionalField(key: "revoked_reason") var revokedReason: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    var state: State {
        get { State(rawValue: stateRaw) ?? .revoked }
        set { stateRaw = newValue.rawValue }
    }
}

/// One version of an electronic licence. The signed document (with the holder's ID number) is
/// sealed at rest; the columns beside it serve the wallet, the status checks and the chain.
final class LicenceRecord: Model, @unchecked Sendable {
    static let schema = "licences"

    @ID(key: .id) var id: UUID?
    @Field(key: "identifier") var identifier: String
    /// Type, issuer and serial: every version of one licence shares it.
    @Field(key: "lineage") var lineage: String
    @Field(key: "version") var version: Int
    @Field(key: "type_code") var typeCode: String
    @Field(key: "name") var name: String
    @Field(key: "number") var number: String
    /// The applicant account (person or company) whose wallet holds it.
    @Field(key: "holder_applicant_id") var holderApplicantID: String
    /// The holder's name masked, for public checks.
    @Field(key: "holder_shown") var holderShown: String
    @Field(key: "issuer_code") var issuerCode: String
    @Field(key: "issuer_name") var issuerName: String
    @Field(key: "region_code") var regionCode: String
    @OptionalField(key: "case_id") var caseID: UUID?
    @Field(key: "status") var statusRaw: String
    @Field(key: "issued_on") var issuedOn: String
    @OptionalField(key: "valid_until") var validUntil: String?
    @OptionalField(key: "revoked_on") var revokedOn: String?
    @OptionalField(key: "reason") var reason: String?
    @OptionalField(key: "previous") var previous: String?
    @OptionalField(key: "next") var next: String?
    @Field(key: "key_id") var keyID: String
    @Field(key: "document_sealed") var documentSealed: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var status: LicenceStatus {
        get { LicenceStatus(rawValue: statusRaw) ?? .revoked }
        set { statusRaw = newValue.rawValue }
    }

    /// Whose it is and who issued it, for the policy.
    var owner: ResourceOwner {
        ResourceOwner(departmentCreditCode: issuerCode, regionCode: regionCode, applicantID: holderApplicantID)
    }

    var standing: LicenceStanding {
        LicenceStanding(status: status, validUntil: validUntil.flatMap { try? LocalDate($0) }, revokedOn: revokedOn, reason: reason)
    }

    func document(_ keys: KeyRing) throws -> LicenceDocument {
        try JSONDecoder().decode(LicenceDocument.self, from: Data(keys.open(documentSealed).utf8))
    }
}

/// One use of a licence: a verification by staff, a material of a case, a share made or viewed.
final class LicenceUseRecord: Model, @unchecked Sendable {
    static let schema = "licence_uses"

    @ID(key: .id) var id: UUID?
    @Field(key: "licence_id") var licenceID: UUID
    @Field(key: "identifier") var identifier: String
    @Field(key: "holder_applicant_id") var holderApplicantID: String
    @Field(key: "kind") var kind: String
    @Field(key: "party") var party: String
    @OptionalField(key: "case_id") var caseID: UUID?
    @Field(key: "purpose") var purpose: String
    @Field(key: "at") var at: Date

    init() {}

    init(_ licence: LicenceRecord, kind: LicenceUseKind, party: String, caseID: UUID? = nil, purpose: String, at: Date) {
        licenceID = licence.id ?? UUID()
        identifier = licence.identifier
        holderApplicantID = licence.holderApplicantID
        self.kind = kind.rawValue
        self.party = party
        self.caseID = caseID
        self.purpose = purpose
        self.at = at
    }
}

/// What a use was.
enum LicenceUseKind: String, Codable, CaseIterable {
    case issued, material, shared, shareViewed, shareWithdrawn, viewedByStaff, revoked, renewed, changed

    var chineseName: String {
        switch self {
        case .issued: "制发"
        case .material: "作为申请材料使用"
        case .shared: "分享"
        case .shareViewed: "分享链接被查看"
        case .shareWithdrawn: "撤回分享"
        case .viewedByStaff: "工作人员查看"
        case .revoked: "注销"
        case .renewed: "换发新版"
        case .changed: "变更照面信息"
        }
    }
}

/// A link the holder gave a third party: the token's hash only is kept.
final class LicenceShareRecord: Model, @unchecked Sendable {
    static let schema = "licence_shares"

    @ID(key: .id) var id: UUID?
    @Field(key: "licence_id") var licenceID: UUID
    @Field(key: "holder_applicant_id") var holderApplicantID: String
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "recipient") var recipient: String
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "withdrawn_at") var withdrawnAt: Date?
    @Field(key: "views") var views: Int
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

extension JSONEncoder {
    /// Keys sorted, so stored definitions compare and diff cleanly.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
