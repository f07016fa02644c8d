import Fluent
import SQLKit

/// 0006: applicants, agents, sign-in history, unified tokens; staff accounts learn lockout and
/// sign-out-everywhere. The staff-only token table of 0004 is replaced (tokens are short-lived).
struct CreateIdentity: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("applicants")
            .id()
            .field("kind", .string, .required)
            .field("identifier_index", .string, .required)
            .field("identifier_sealed", .string, .required)
            .field("identifier_masked", .string, .required)
            .field("name", .string, .required)
            .field("phone_index", .string)
            .field("phone_sealed", .string)
            .field("phone_masked", .string)
            .field("representative_name", .string)
            .field("representative_index", .string)
            .field("representative_sealed", .string)
            .field("password_hash", .string, .required)
            .field("sessions_revoked_at", .datetime)
            .field("disabled", .bool, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "identifier_index")
            .create()
        try await database.schema("company_agents")
            .id()
            .field("company_id", .uuid, .required, .references("applicants", "id", onDelete: .cascade))
            .field("person_index", .string, .required)
            .field("person_masked", .string, .required)
            .field("person_name", .string, .required)
            .field("powers", .string, .required)
            .field("granted_at", .datetime, .required)
            .field("granted_by", .string, .required)
            .field("revoked_at", .datetime)
            .create()
        try await database.schema("sign_in_events")
            .id()
            .field("principal", .string, .required)
            .field("at", .datetime, .required)
            .field("channel", .string, .required)
            .field("address", .string)
            .field("user_agent", .string)
            .field("outcome", .string, .required)
            .create()
        try await database.schema("access_tokens")
            .id()
            .field("token_hash", .string, .required)
            .field("principal", .string, .required)
            .field("acting_for", .uuid)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .unique(on: "token_hash")
            .create()
        // Failures per sign-in identifier (a blind index, or `staff:<name>`), whether or not an
        // account exists, so that a lock never tells which accounts are real.
        try await database.schema("sign_in_throttle")
            .field("key", .string, .identifier(auto: false))
            .field("failures", .int, .required)
            .field("locked_until_ms", .int64)
            .create()
        try await database.schema("staff_accounts")
            .field("sessions_revoked_at", .datetime)
            .update()
        try await database.schema("api_tokens").delete()
        if let sql = database as? any SQLDatabase {
            // One live grant per person and company: two grants at once cannot both stay in force.
            try await sql.raw("CREATE UNIQUE INDEX company_agents_live ON company_agents (company_id, person_index) WHERE revoked_at IS NULL").run()
            try await sql.raw("CREATE INDEX company_agents_person ON company_agents (person_index)").run()
            try await sql.raw("CREATE INDEX company_agents_company ON company_agents (company_id)").run()
            try await sql.raw("CREATE INDEX sign_in_events_principal ON sign_in_events (principal, at)").run()
            try await sql.raw("CREATE INDEX access_tokens_principal ON access_tokens (principal)").run()
            try await sql.raw("CREATE INDEX applicants_representative ON applicants (representative_index)").run()
        }
    }

    func revert(on database: any Database) async throws {
        for schema in ["sign_in_throttle", "access_tokens", "sign_in_events", "company_agents", "applicants"] {
            try await database.schema(schema).delete()
        }
    }
}
