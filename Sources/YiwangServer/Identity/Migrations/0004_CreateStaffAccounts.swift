import Fluent

struct CreateStaffAccounts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("staff_accounts")
            .id()
            .field("account", .string, .required)
            .field("display_name", .string, .required)
            .field("password_hash", .string, .required)
            .field("grants", .string, .required)
            .field("disabled", .bool, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "account")
            .create()
        // The first token table; 0006 replaced it with `access_tokens`.
        try await database.schema("api_tokens")
            .id()
            .field("token_hash", .string, .required)
            .field("account_id", .uuid, .required, .references("staff_accounts", "id", onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .unique(on: "token_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("staff_accounts").delete()
    }
}
