import Fluent
import SQLKit

/// 0022: 一件事一次办. A bundle is a catalog definition with versions (like an item); an
/// application of a bundle holds the merged form and, once accepted, its progress (every
/// member's task, the bundle's own clock); each member's task is a case of its item, linked to
/// the application by `cases.bundle_application_id`, so departments decide it with the case
/// lifecycle they already use.
struct CreateBundles: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("bundles")
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("kind", .string, .required)
            .field("lead_department", .string, .required)
            .field("region_code", .string, .required)
            .field("published_version_id", .uuid)
            .field("created_at", .datetime, .required)
            .unique(on: "code")
            .create()
        try await database.schema("bundle_versions")
            .id()
            .field("bundle_id", .uuid, .required, .references("bundles", "id"))
            .field("number", .int, .required)
            .field("state", .string, .required)
            .field("content", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("published_at", .datetime)
            .unique(on: "bundle_id", "number")
            .create()
        try await database.schema("bundle_applications")
            .id()
            .field("number", .string)
            .field("bundle_code", .string, .required)
            .field("bundle_name", .string, .required)
            .field("version_id", .uuid, .required)
            .field("applicant_id", .string, .required)
            .field("filed_by", .string, .required)
            .field("channel", .string, .required)
            .field("lead_department", .string, .required)
            .field("region_code", .string, .required)
            .field("state", .string, .required)
            .field("choice", .string, .required)
            .field("form_sealed", .string, .required)
            .field("form_shown", .string, .required)
            .field("progress", .string)
            .field("deadline", .string)
            .field("outcome", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.schema("bundle_events")
            .id()
            .field("application_id", .uuid, .required, .references("bundle_applications", "id"))
            .field("at", .datetime, .required)
            .field("actor", .string, .required)
            .field("action", .string, .required)
            .field("member", .string)
            .field("detail", .string)
            .create()
        try await database.schema("cases").field("bundle_application_id", .uuid).update()
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.create(index: "cases_by_bundle_application").on("cases").column("bundle_application_id").run()
        try await sql.create(index: "bundle_applications_by_applicant").on("bundle_applications").column("applicant_id").column("created_at").run()
        try await sql.create(index: "bundle_applications_by_lead").on("bundle_applications").column("lead_department").column("state").column("created_at").run()
        try await sql.create(index: "bundle_events_by_application").on("bundle_events").column("application_id").column("at").run()
    }

    func revert(on database: any Database) async throws {
        if let sql = database as? any SQLDatabase { try await sql.drop(index: "cases_by_bundle_application").ifExists().run() }
        try await database.schema("cases").deleteField("bundle_application_id").update()
        try await database.schema("bundle_events").delete()
        try await database.schema("bundle_applications").delete()
        try await database.schema("bundle_versions").delete()
        try await database.schema("bundles").delete()
    }
}
