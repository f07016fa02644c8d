import Fluent
import SQLKit

/// 0016: the catalog searched through a text index, and list rows from a summary column.
/// SQLite: an FTS5 table with the trigram tokenizer over `items.search_text` (kept in step by
/// triggers), so a word of three or more characters is found through the index; PostgreSQL:
/// `pg_trgm`'s GIN index, which `LIKE '%word%'` uses. `items.summary` holds the list row of the
/// projected guide; rows written before it are filled when they are next projected, and read
/// from their guide meanwhile.
struct IndexCatalogSearch: AsyncMigration {
    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("ALTER TABLE items ADD COLUMN summary TEXT").run()
        if sql.dialect.name == "sqlite" {
            try await sql.raw("""
                CREATE VIRTUAL TABLE item_search USING fts5(search_text, content='items', content_rowid='rowid', tokenize='trigram')
                """).run()
            try await sql.raw("""
                CREATE TRIGGER item_search_insert AFTER INSERT ON items BEGIN
                  INSERT INTO item_search (rowid, search_text) VALUES (new.rowid, new.search_text);
                END
                """).run()
            try await sql.raw("""
                CREATE TRIGGER item_search_delete AFTER DELETE ON items BEGIN
                  INSERT INTO item_search (item_search, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
                END
                """).run()
            try await sql.raw("""
                CREATE TRIGGER item_search_update AFTER UPDATE OF search_text ON items BEGIN
                  INSERT INTO item_search (item_search, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
                  INSERT INTO item_search (rowid, search_text) VALUES (new.rowid, new.search_text);
                END
                """).run()
            try await sql.raw("INSERT INTO item_search (item_search) VALUES ('rebuild')").run()
        } else {
            // Needs the right to create the extension, or a DBA who created it beforehand.
            try await sql.raw("CREATE EXTENSION IF NOT EXISTS pg_trgm").run()
            try await sql.raw("CREATE INDEX items_search_trigrams ON items USING gin (search_text gin_trgm_ops)").run()
        }
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        if sql.dialect.name == "sqlite" {
            for trigger in ["item_search_insert", "item_search_delete", "item_search_update"] {
                try await sql.raw("DROP TRIGGER IF EXISTS \(unsafeRaw: trigger)").run()
            }
            try await sql.raw("DROP TABLE IF EXISTS item_search").run()
        } else {
            try await sql.raw("DROP INDEX IF EXISTS items_search_trigrams").run()
        }
        try await sql.raw("ALTER TABLE items DROP COLUMN summary").run()
    }
}
