import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// A citizen or company account (统一身份认证). The identifying number and the phone number are
/// sealed at rest and found through keyed blind indexes; only names are kept in clear.
final class ApplicantRecord: Model, @unchecked Sendable {
    static let schema = "applicants"

    @ID(key: .id) var id: UUID?
    @Field(key: "kind") var kind: ApplicantKind
    /// Blind index of the ID number (persons) or credit code (companies): the sign-in key.
    @Field(key: "identifier_index") var identifierIndex: String
    @Field(key: "identifier_sealed") var identifierSealed: String
    /// Masked form kept for display, so lists never need to decrypt.
    @Field(key: "identifier_masked") var identifierMasked: String
    @Field(key: "name") var name: String
    @OptionalField(key: "phone_index") var phoneIndex: String?
    @OptionalField(key: "phone_sealed") var phoneSealed: String?
    @OptionalField(key: "phone_masked") var phoneMasked: String?
    /// Where e-mail notifications go, when the applicant gave an address (sealed, as the phone).
    @OptionalField(key: "email_sealed") var emailSealed: String?
    @OptionalField(key: "email_masked") var emailMasked: String?
    // Companies: their legal representative, a natural person found by the same blind index.
    @OptionalField(key: "representative_name") var representativeName: String?
    @OptionalField(key: "representative_index") var representativeIndex: String?
    @OptionalField(key: "representative_sealed") var representativeSealed: String?
    @Field(key: "password_hash") var passwordHash: String
    /// Sessions and tokens issued before this moment are void ("sign out everywhere").
    @OptionalField(key: "sessions_revoked_at") var sessionsRevokedAt: Date?
    @Field(key: "disabled") var disabled: Bool
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(kind: ApplicantKind, identifier: String, name: String, passwordHash: String, keys: KeyRing, at: Date) throws {
        self.id = UUID()
        self.kind = kind
        identifierIndex = ApplicantRecord.index(identifier, keys: keys)
        identifierSealed = try keys.seal(identifier)
        // A legal entity's credit code is public; a person's number and a 个体工商户's code are not.
        let personal = kind == .person || PersonalData.isNaturalPersonBusiness(identifier)
        identifierMasked = personal ? PersonalData.mask(identifier, as: kind == .person ? .idNumber : .creditCode) : identifier
        self.name = name
        self.passwordHash = passwordHash
        disabled = false
        createdAt = at
    }

    /// One purpose for ID numbers and credit codes alike: they never collide (18 digits vs. letters and check rules).
    static func index(_ identifier: String, keys: KeyRing) -> String { keys.blindIndex(identifier, purpose: "identifier") }
    static func phoneIndex(_ phone: String, keys: KeyRing) -> String { keys.blindIndex(phone, purpose: "phone") }

    func setPhone(_ phone: String, keys: KeyRing) throws {
        phoneIndex = ApplicantRecord.phoneIndex(phone, keys: keys)
        phoneSealed = try keys.seal(phone)
        phoneMasked = PersonalData.mask(phone, as: .phone)
    }

    func setEmail(_ email: String?, keys: KeyRing) throws {
        emailSealed = try email.map { address throws(DomainError) in try keys.seal(address) }
        emailMasked = email.map { PersonalData.mask($0, as: .email) }
    }

}

/// A natural person a company authorised to act for it (经办人), with the powers granted.
/// Keyed by the person's blind index, so an agent may be named before they register.
final class CompanyAgentRecord: Model, @unchecked Sendable {
    static let schema = "company_agents"

    @ID(key: .id) var id: UUID?
    @Parent(key: "company_id") var company: ApplicantRecord
    @Field(key: "person_index") var personIndex: String
    @Field(key: "person_masked") var personMasked: String
    @Field(key: "person_name") var personName: String
    @Field(key: "powers") var powersText: String
    @Field(key: "granted_at") var grantedAt: Date
    @Field(key: "granted_by") var grantedBy: String
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    init() {}

    init(companyID: UUID, personIndex: String, personMasked: String, personName: String, powers: Set<AgentPower>, grantedBy: String, at: Date) {
        id = UUID()
        $company.id = companyID
        self.personIndex = personIndex
        self.personMasked = personMasked
        self.personName = personName
        powersText = CompanyAgentRecord.encode(powers)
        self.grantedBy = grantedBy
        grantedAt = at
    }

    var powers: Set<AgentPower> {
        Set(powersText.split(separator: ",").compactMap { AgentPower(rawValue: String($0)) })
    }

    static func encode(_ powers: Set<AgentPower>) -> String {
        AgentPower.allCases.filter(powers.contains).map(\.rawValue).joined(separator: ",")
    }
}

/// Every sign-in attempt on a known account, for the holder's own history page.
final class SignInEventRecord: Model, @unchecked Sendable {
    static let schema = "sign_in_events"

    @ID(key: .id) var id: UUID?
    @Field(key: "principal") var principal: String
    @Field(key: "at") var at: Date
    @Field(key: "channel") var channel: String
    @OptionalField(key: "address") var address: String?
    @OptionalField(key: "user_agent") var userAgent: String?
    @Field(key: "outcome") var outcome: String

    init() {}

    init(principal: String, at: Date, channel: String, address: String?, userAgent: String?, outcome: SignInOutcome) {
        self.principal = principal
        self.at = at
        self.channel = channel
        self.address = address
        self.userAgent = userAgent.map { String($0.prefix(200)) }
        self.outcome = outcome.rawValue
    }
}

enum SignInOutcome: String, Codable, Sendable {
    case succeeded, wrongPassword, locked, disabled

    var chineseName: String {
        switch self {
        case .succeeded: "登录成功"
        case .wrongPassword: "密码错误"
        case .locked: "账号暂时锁定"
        case .disabled: "账号已停用"
        }
    }
}

/// A bearer token for a staff member, an applicant, or a department system (a staff-like account
/// with its own grants). Only its SHA-256 is stored, so a leaked database leaks no usable token.
final class AccessTokenRecord: Model, @unchecked Sendable {
    static let schema = "access_tokens"

    @ID(key: .id) var id: UUID?
    @Field(key: "token_hash") var tokenHash: String
    /// `staff:<uuid>` or `applicant:<uuid>`.
    @Field(key: "principal") var principal: String
    @OptionalField(key: "acting_for") var actingFor: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    init() {}

    init(tokenHash: String, principal: Principal, actingFor: UUID?, createdAt: Date, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.principal = principal.key
        self.actingFor = actingFor
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).hex
    }
}

/// Who holds a session or token.
enum Principal: Hashable, Sendable {
    case staff(UUID)
    case applicant(UUID)

    var key: String {
        switch self {
        case .staff(let id): "staff:" + id.uuidString
        case .applicant(let id): "applicant:" + id.uuidString
        }
    }

    init?(key: String) {
        let parts = key.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let id = UUID(uuidString: parts[1]) else { return nil }
        switch parts[0] {
        case "staff": self = .staff(id)
        case "applicant": self = .applicant(id)
        default: return nil
        }
    }
}

