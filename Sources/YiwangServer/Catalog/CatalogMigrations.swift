import SQLKit
import Fluent

/// 0001: regions and departments.
struct CreateRegionsAndDepartments: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(RegionRecord.schema)
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("level", .string, .required)
            .field("parent_code", .string)
            .unique(on: "code")
            .create()
        try await database.schema(DepartmentRecord.schema)
            .id()
            .field("credit_code", .string, .required)
            .field("name", .string, .required)
            .field("short_name", .string, .required)
            .field("region_code", .string, .required)
            .field("phone", .string, .required)
            .field("address", .string, .required)
            .field("office_hours", .string, .required)
            .unique(on: "credit_code")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(DepartmentRecord.schema).delete()
        try await database.schema(RegionRecord.schema).delete()
    }
}

/// 0002: base catalog, implementation entries, their versions, the change log and life events.
struct CreateCatalog: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(BaseItemRecord.schema)
            .id()
            .field("base_code", .string, .required)
            .field("name", .string, .required)
            .field("type", .string, .required)
            .field("legal_basis", .string, .required)
            .unique(on: "base_code")
            .create()
        try await database.schema(ItemRecord.schema)
            .id()
            .field("implementation_code", .string, .required)
            .field("base_code", .string, .required)
            .field("department_code", .string, .required)
            .field("department_name", .string, .required)
            .field("region_code", .string, .required)
            .field("exercise_level", .int, .required)
            .field("latest_version", .int, .required)
            .field("published_version_id", .uuid)
            .field("published_at", .datetime)
            .field("name", .string, .required)
            .field("type", .string, .required)
            .field("targets", .string, .required)
            .field("life_events", .string, .required)
            .field("required_visits", .int, .required)
            .field("promised_limit", .int, .required)
            .field("statutory_limit", .int)
            .field("search_text", .string, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "implementation_code")
            .create()
        try await database.schema(ItemVersionRecord.schema)
            .id()
            .field("item_id", .uuid, .required, .references(ItemRecord.schema, "id", onDelete: .restrict))
            .field("number", .int, .required)
            .field("state", .string, .required)
            .field("content", .string, .required)
            .field("author", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("submitted_by", .string)
            .field("submitted_at", .datetime)
            .field("approved_by", .string)
            .field("approved_at", .datetime)
            .field("published_by", .string)
            .field("published_at", .datetime)
            .field("retired_at", .datetime)
            .field("note", .string)
            .unique(on: "item_id", "number")
            .create()
        try await database.schema(CatalogEventRecord.schema)
            .id()
            .field("item_id", .uuid, .required)
            .field("version_number", .int, .required)
            .field("action", .string, .required)
            .field("actor", .string, .required)
            .field("at", .datetime, .required)
            .field("detail", .string, .required)
            .create()
        try await database.schema(LifeEventRecord.schema)
            .id()
            .field("slug", .string, .required)
            .field("name", .string, .required)
            .field("description", .string, .required)
            .field("target", .string, .required)
            .unique(on: "slug")
            .create()
    }

    func revert(on database: any Database) async throws {
        for schema in [LifeEventRecord.schema, CatalogEventRecord.schema, ItemVersionRecord.schema, ItemRecord.schema, BaseItemRecord.schema] {
            try await database.schema(schema).delete()
        }
    }
}

/// 0003: indexes for public search and the change log.
struct AddCatalogIndexes: AsyncMigration {
    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.create(index: "items_department_idx").on(ItemRecord.schema).column("department_code").run()
        try await sql.create(index: "items_type_idx").on(ItemRecord.schema).column("type").run()
        try await sql.create(index: "items_published_name_idx").on(ItemRecord.schema).column("published_version_id").column("name").run()
        try await sql.create(index: "catalog_events_item_idx").on(CatalogEventRecord.schema).column("item_id").column("at").run()
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        for name in ["items_department_idx", "items_type_idx", "items_published_name_idx", "catalog_events_item_idx"] {
            try await sql.drop(index: name).run()
        }
    }
}
