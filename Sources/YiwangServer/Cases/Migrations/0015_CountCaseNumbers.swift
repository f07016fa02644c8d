import Fluent
import SQLKit

/// 0015: case numbers from a counter per prefix (region and day), one upsert each, instead of
/// counting the day's cases under the write lock. The counters start where the numbers given so
/// far end.
struct CountCaseNumbers: AsyncMigration {
    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("CREATE TABLE case_number_counters (prefix TEXT PRIMARY KEY, last_number BIGINT NOT NULL)").run()
        // A number is the 6-digit region, the 8-digit day and a 5-digit serial.
        try await sql.raw("""
            INSERT INTO case_number_counters (prefix, last_number)
            SELECT substr(number, 1, 14), MAX(CAST(substr(number, 15) AS BIGINT)) FROM cases
            WHERE number IS NOT NULL GROUP BY substr(number, 1, 14)
            """).run()
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("DROP TABLE case_number_counters").run()
    }
}
