import Fluent
import Foundation
import Vapor
import YiwangCore

/// A staff account (or a department system's account, which holds grants like a person).
/// Grants are stored as JSON so that roles and scopes can grow without schema churn.
final class StaffAccountRecord: Model, @unchecked Sendable {
    static let schema = "staff_accounts"

    @ID(key: .id) var id: UUID?
    @Field(key: "account") var account: String
    @Field(key: "display_name") var displayName: String
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "grants") var grantsJSON: String
    @Field(key: "disabled") var disabled: Bool
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "sessions_revoked_at") var sessionsRevokedAt: Date?

    init() {}

    init(account: String, displayName: String, passwordHash: String, grants: [Grant], createdAt: Date) throws {
        self.account = account
        self.displayName = displayName
        self.passwordHash = passwordHash
        self.grantsJSON = try StaffAccountRecord.encode(grants)
        self.disabled = false
        self.createdAt = createdAt
    }

    var grants: [Grant] {
        get { (try? JSONDecoder().decode([Grant].self, from: Data(grantsJSON.utf8))) ?? [] }
        set { grantsJSON = (try? StaffAccountRecord.encode(newValue)) ?? "[]" }
    }

    static func encode(_ grants: [Grant]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(grants), as: UTF8.self)
    }

    var actor: Actor { disabled ? .anonymous : .staff(account: account, grants: grants) }

}

extension Sequence where Element == UInt8 {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
