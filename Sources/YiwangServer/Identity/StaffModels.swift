import Fluent
import Foundation
import Vapor
import YiwangCore

/// A staff account. Full identity (citizens, companies, agents) arrives with the identity issue;
/// grants are stored as JSON so that roles and scopes can grow without schema churn.
final class StaffAccountRecord: Model, @unchecked Sendable {
    static let schema = "staff_accounts"

    @ID(key: .id) var id: UUID?
    @Field(key: "account") var account: String
    @Field(key: "display_name") var displayName: String
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "grants") var grantsJSON: String
    @Field(key: "disabled") var disabled: Bool
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(account: String, displayName: String, passwordHash: String, grants: [Grant], createdAt: Date) throws {
        self.account = account
        self.displayName = displayName
        self.passwordHash = passwordHash
        self.grantsJSON = String(decoding: try JSONEncoder().encode(grants), as: UTF8.self)
        self.disabled = false
        self.createdAt = createdAt
    }

    var grants: [Grant] {
        (try? JSONDecoder().decode([Grant].self, from: Data(grantsJSON.utf8))) ?? []
    }

    var actor: Actor { disabled ? .anonymous : .staff(account: account, grants: grants) }
}

/// A bearer token; only its SHA-256 is stored, so a leaked database leaks no usable token.
final class ApiTokenRecord: Model, @unchecked Sendable {
    static let schema = "api_tokens"

    @ID(key: .id) var id: UUID?
    @Field(key: "token_hash") var tokenHash: String
    @Parent(key: "account_id") var account: StaffAccountRecord
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    init() {}

    init(tokenHash: String, accountID: UUID, createdAt: Date, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.$account.id = accountID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).hex
    }
}

struct CreateStaffAccounts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(StaffAccountRecord.schema)
            .id()
            .field("account", .string, .required)
            .field("display_name", .string, .required)
            .field("password_hash", .string, .required)
            .field("grants", .string, .required)
            .field("disabled", .bool, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "account")
            .create()
        try await database.schema(ApiTokenRecord.schema)
            .id()
            .field("token_hash", .string, .required)
            .field("account_id", .uuid, .required, .references(StaffAccountRecord.schema, "id", onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .unique(on: "token_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ApiTokenRecord.schema).delete()
        try await database.schema(StaffAccountRecord.schema).delete()
    }
}

extension Request {
    private struct StaffKey: StorageKey { typealias Value = StaffAccountRecord }

    /// The signed-in staff account, if any (set by `ActorMiddleware`).
    var staffAccount: StaffAccountRecord? {
        get { storage[StaffKey.self] }
        set { storage[StaffKey.self] = newValue }
    }

    /// Who is acting on this request, for the policy layer.
    var actor: Actor { staffAccount?.actor ?? .anonymous }

    /// Asks the policy layer; throws 401/403 with a Chinese message when refused.
    func authorize(_ action: PolicyAction, on owner: ResourceOwner = .global) throws {
        try Policy.authorize(actor, action, on: owner)
    }

    /// Refuses early when the actor holds no role for the action at all.
    func authorizeSomewhere(_ action: PolicyAction) throws {
        try Policy.authorizeSomewhere(actor, action)
    }
}

/// Resolves the actor from a bearer token or the session; anonymous readers cost no query.
struct ActorMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let bearer = request.headers.bearerAuthorization?.token {
            let now = request.now
            guard let token = try await ApiTokenRecord.query(on: request.db)
                .filter(\.$tokenHash == ApiTokenRecord.hash(bearer))
                .with(\.$account)
                .first(),
                token.revokedAt == nil, token.expiresAt > now, !token.account.disabled
            else {
                throw DomainError(.unauthenticated, code: "access.token_invalid", message: "访问令牌无效、已过期或已被撤销，请重新获取。")
            }
            request.staffAccount = token.account
        } else if request.hasSession, let idText = request.session.data["staff"], let id = UUID(uuidString: idText) {
            if let account = try await StaffAccountRecord.find(id, on: request.db), !account.disabled {
                request.staffAccount = account
            } else {
                request.session.data["staff"] = nil
            }
        }
        return try await next.respond(to: request)
    }
}

extension Sequence where Element == UInt8 {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
