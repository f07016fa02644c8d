import Fluent
import SQLKit

/// 0019: the city's shared registries as the local exchange holds them (population, legal
/// persons), the credit registry's listings of seriously dishonest subjects, the log of every
/// registry read (who, which registry, whose data, which fields, for which case and purpose),
/// and on each case the credit warning the clerk saw with the reason recorded to proceed.
struct CreateDataSharing: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("registry_records")
            .field("registry", .string, .required)
            .field("subject_index", .string, .required)
            .field("record_sealed", .string, .required)
            .field("updated_at", .datetime, .required)
            .compositeIdentifier(over: "registry", "subject_index")
            .create()
        try await database.schema("credit_listings")
            .id()
            .field("subject_index", .string, .required)
            .field("subject_shown", .string, .required)
            .field("subject_name", .string, .required)
            .field("measure", .string, .required)
            .field("basis", .string, .required)
            .field("authority", .string, .required)
            .field("listed_on", .string, .required)
            .field("until", .string)
            .field("lifted_on", .string)
            .field("lifted_reason", .string)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("data_uses")
            .id()
            .field("at", .datetime, .required)
            .field("registry", .string, .required)
            .field("subject_index", .string, .required)
            .field("subject_shown", .string, .required)
            .field("fields", .string, .required)
            .field("reader", .string, .required)
            .field("reader_kind", .string, .required)
            .field("case_id", .uuid)
            .field("purpose", .string, .required)
            .field("outcome", .string, .required)
            .create()
        try await database.schema("cases").field("credit_warning", .string).update()
        try await database.schema("cases").field("credit_reason", .string).update()
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.create(index: "credit_listings_by_subject").on("credit_listings").column("subject_index").run()
        try await sql.create(index: "data_uses_by_subject").on("data_uses").column("subject_index").column("at").run()
        try await sql.create(index: "data_uses_by_time").on("data_uses").column("at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("cases").deleteField("credit_reason").update()
        try await database.schema("cases").deleteField("credit_warning").update()
        for table in ["data_uses", "credit_listings", "registry_records"] { try await database.schema(table).delete() }
    }
}
