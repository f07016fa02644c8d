import Fluent
import SQLKit

/// 0017: the text index holds published items only, so a search by words alone is counted from
/// the index without reading the items; and published items are indexed by name, so a page of
/// a common word is read in name order and stops after the page instead of sorting every match.
struct IndexPublishedItemsByName: AsyncMigration {
    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("""
            CREATE INDEX items_published_by_name ON items (name, implementation_code) WHERE published_version_id IS NOT NULL
            """).run()
        guard sql.dialect.name == "sqlite" else { return }
        for trigger in ["item_search_insert", "item_search_delete", "item_search_update"] {
            try await sql.raw("DROP TRIGGER \(unsafeRaw: trigger)").run()
        }
        try await sql.raw("""
            CREATE TRIGGER item_search_insert AFTER INSERT ON items WHEN new.published_version_id IS NOT NULL BEGIN
              INSERT INTO item_search (rowid, search_text) VALUES (new.rowid, new.search_text);
            END
            """).run()
        try await sql.raw("""
            CREATE TRIGGER item_search_delete AFTER DELETE ON items WHEN old.published_version_id IS NOT NULL BEGIN
              INSERT INTO item_search (item_search, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
            END
            """).run()
        // One trigger, so the old words always leave before the new ones come in.
        try await sql.raw("""
            CREATE TRIGGER item_search_update AFTER UPDATE OF search_text, published_version_id ON items BEGIN
              INSERT INTO item_search (item_search, rowid, search_text)
                SELECT 'delete', old.rowid, old.search_text WHERE old.published_version_id IS NOT NULL;
              INSERT INTO item_search (rowid, search_text)
                SELECT new.rowid, new.search_text WHERE new.published_version_id IS NOT NULL;
            END
            """).run()
        try await sql.raw("INSERT INTO item_search (item_search) VALUES ('delete-all')").run()
        try await sql.raw("INSERT INTO item_search (rowid, search_text) SELECT rowid, search_text FROM items WHERE published_version_id IS NOT NULL").run()
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("DROP INDEX items_published_by_name").run()
    }
}
