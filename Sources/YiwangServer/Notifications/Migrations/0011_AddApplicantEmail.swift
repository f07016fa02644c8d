import Fluent

/// 0011: e-mail addresses for notifications, and the local mail gateway's log.
struct AddApplicantEmail: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("applicants").field("email_sealed", .string).update()
        try await database.schema("applicants").field("email_masked", .string).update()
        try await database.schema("mail_log")
            .id()
            .field("recipient", .string, .required)
            .field("subject", .string, .required)
            .field("body", .string, .required)
            .field("sent_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("mail_log").delete()
        try await database.schema("applicants").deleteField("email_masked").update()
        try await database.schema("applicants").deleteField("email_sealed").update()
    }
}
