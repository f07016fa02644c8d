import Fluent
import Foundation
import SQLKit
import YiwangCore

/// Consecutive sign-in failures per identifier, in the database so that every instance and every
/// restart sees the same count. Counting is one atomic statement: parallel guesses cannot all
/// read the same count and slip past the lock.
enum SignInThrottle {
    private struct Row: Decodable {
        var failures: Int
        var locked_until_ms: Int64?
    }

    static func lockedUntil(_ key: String, on db: any Database) async throws -> Date? {
        guard let sql = db as? any SQLDatabase else { return nil }
        let row = try await sql.raw("SELECT failures, locked_until_ms FROM sign_in_throttle WHERE key = \(bind: key)").first(decoding: Row.self)
        return row?.locked_until_ms.map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    /// Counts one more failure; returns how long the identifier is now locked (0: not locked).
    static func fail(_ key: String, rule: LockoutRule, now: Date, on db: any Database) async throws -> TimeInterval {
        guard let sql = db as? any SQLDatabase else { return 0 }
        let row = try await sql.raw("""
            INSERT INTO sign_in_throttle (key, failures, locked_until_ms) VALUES (\(bind: key), 1, NULL)
            ON CONFLICT (key) DO UPDATE SET failures = sign_in_throttle.failures + 1
            RETURNING failures, locked_until_ms
            """).first(decoding: Row.self)
        let lock = rule.lockDuration(afterFailures: row?.failures ?? 1)
        if lock > 0 {
            let until = AuditEntry.milliseconds(now.addingTimeInterval(lock))
            try await sql.raw("UPDATE sign_in_throttle SET locked_until_ms = \(bind: until) WHERE key = \(bind: key)").run()
        }
        return lock
    }

    static func clear(_ key: String, on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw("DELETE FROM sign_in_throttle WHERE key = \(bind: key)").run()
    }

    /// Which of these identifiers are locked now (for the staff list).
    static func locked(_ keys: [String], now: Date, on db: any Database) async throws -> Set<String> {
        guard let sql = db as? any SQLDatabase, !keys.isEmpty else { return [] }
        struct Locked: Decodable { var key: String }
        let rows = try await sql.select().column("key").from("sign_in_throttle")
            .where("key", .in, keys).where("locked_until_ms", .greaterThan, AuditEntry.milliseconds(now))
            .all(decoding: Locked.self)
        return Set(rows.map(\.key))
    }

    static func staffKey(_ account: String) -> String { "staff:" + account }
}
