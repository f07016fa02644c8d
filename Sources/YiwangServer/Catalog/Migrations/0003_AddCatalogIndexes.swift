import Fluent
import SQLKit

/// 0003: indexes for public search and the change log.
struct AddCatalogIndexes: AsyncMigration {
    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.create(index: "items_department_idx").on("items").column("department_code").run()
        try await sql.create(index: "items_type_idx").on("items").column("type").run()
        try await sql.create(index: "items_published_name_idx").on("items").column("published_version_id").column("name").run()
        try await sql.create(index: "catalog_events_item_idx").on("catalog_events").column("item_id").column("at").run()
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        for name in ["items_department_idx", "items_type_idx", "items_published_name_idx", "catalog_events_item_idx"] {
            try await sql.drop(index: name).run()
        }
    }
}
