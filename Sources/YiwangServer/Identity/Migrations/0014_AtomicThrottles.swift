import Fluent
import SQLKit

/// 0014: try limits counted and decided by one statement each, in the database shared by every
/// instance: sign-in failures per account and per source (with the attempt each statement
/// admitted), and fixed-window rate limits for sign-in, registration and password resets.
struct AtomicThrottles: AsyncMigration {
    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("ALTER TABLE sign_in_throttle ADD COLUMN last_failure_ms BIGINT").run()
        try await sql.raw("ALTER TABLE sign_in_throttle ADD COLUMN admitted_attempt TEXT").run()
        try await sql.raw("CREATE TABLE rate_limit_windows (key TEXT PRIMARY KEY, window_ms BIGINT NOT NULL, count INTEGER NOT NULL)").run()
        try await sql.raw("CREATE INDEX rate_limit_windows_window ON rate_limit_windows (window_ms)").run()
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("DROP TABLE rate_limit_windows").run()
        try await sql.raw("ALTER TABLE sign_in_throttle DROP COLUMN admitted_attempt").run()
        try await sql.raw("ALTER TABLE sign_in_throttle DROP COLUMN last_failure_ms").run()
    }
}
